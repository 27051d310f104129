using System.Net;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HaloPortal.Tests.Hosting;

/// <summary>The portal with a fake clock, so lockouts and the security-stamp validation interval can be stepped through.</summary>
public sealed class FakeClockPortalFactory : PortalAppFactory
{
    public FakeClockPortalFactory() => ConfigureTestServices = services => services.AddSingleton<TimeProvider>(Time);

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);
}

public sealed class SignInTests(FakeClockPortalFactory app) : IClassFixture<FakeClockPortalFactory>
{
    private const string Password = "correct1horse";

    [Fact]
    public async Task Agent_opening_a_configuration_page_is_sent_to_access_denied()
    {
        var email = await CreateAgentAsync(PortalRoles.Agent);
        using var client = app.CreateBrowserClient(new CookieContainer());
        await BrowserSignIn.SignInAsync(client, email, Password);

        using var response = await client.GetAsync("/configuration/advanced/backend-services");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/access-denied?ReturnUrl=%2Fconfiguration%2Fadvanced%2Fbackend-services", response.Headers.Location?.PathAndQuery);

        using var denied = await client.GetAsync(response.Headers.Location);
        var html = await denied.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, denied.StatusCode);
        Assert.Contains("data-testid=\"access-denied-page\"", html);
        Assert.Contains($"<b>{email}</b>", html);
        Assert.Contains("<b>Agent</b>", html);
        Assert.Contains("/configuration/advanced/backend-services", html);
        Assert.Contains("action=\"/account/logout\"", html);
    }

    [Fact]
    public async Task Agent_opens_the_home_page_but_an_administrator_opens_configuration()
    {
        var agent = await CreateAgentAsync(PortalRoles.Agent);
        var admin = await CreateAgentAsync(PortalRoles.Administrator);
        using var agentClient = app.CreateBrowserClient(new CookieContainer());
        using var adminClient = app.CreateBrowserClient(new CookieContainer());
        await BrowserSignIn.SignInAsync(agentClient, agent, Password);
        await BrowserSignIn.SignInAsync(adminClient, admin, Password);

        Assert.Equal(HttpStatusCode.OK, (await agentClient.GetAsync("/")).StatusCode);
        foreach (var page in new[] { "/configuration/advanced/backend-services", "/configuration/teams/agents", "/configuration/advanced/api-keys", "/configuration/advanced/audit-log" })
        {
            using var response = await adminClient.GetAsync(page);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{page}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_account_and_the_right_password_is_refused_then()
    {
        var email = await CreateAgentAsync(PortalRoles.Agent);
        using var client = app.CreateBrowserClient(new CookieContainer());

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            Assert.StartsWith("The email or password is not right", await LoginErrorAsync(client, email, "wrong1password"));
        }

        var fifth = await LoginErrorAsync(client, email, "wrong1password");
        var rightPasswordNow = await LoginErrorAsync(client, email, Password);

        Assert.StartsWith("The email or password is not right", fifth);
        Assert.Equal(fifth, rightPasswordNow);
        var agent = (await app.Services.GetRequiredService<IAgents>().ListAsync(new AgentQuery(email))).Items.Single();
        Assert.Equal(AgentStatus.LockedOut, agent.Status);
    }

    [Fact]
    public async Task A_disabled_agent_cannot_sign_in()
    {
        var email = await CreateAgentAsync(PortalRoles.Agent);
        var agents = app.Services.GetRequiredService<IAgents>();
        var agent = (await agents.ListAsync(new AgentQuery(email))).Items.Single();
        await agents.SetDisabledAsync(agent.Id, true, Actor.System);
        using var client = app.CreateBrowserClient(new CookieContainer());

        Assert.StartsWith("The email or password is not right", await LoginErrorAsync(client, email, Password));
        using var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.StartsWith("/account/login", home.Headers.Location?.PathAndQuery);
    }

    [Fact]
    public async Task Disabling_an_agent_ends_their_session_at_the_next_validation()
    {
        var email = await CreateAgentAsync(PortalRoles.Agent);
        using var client = app.CreateBrowserClient(new CookieContainer());
        await BrowserSignIn.SignInAsync(client, email, Password);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);

        var agents = app.Services.GetRequiredService<IAgents>();
        await agents.SetDisabledAsync((await agents.ListAsync(new AgentQuery(email))).Items.Single().Id, true, Actor.System);
        app.Time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        using var after = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/account/login", after.Headers.Location?.PathAndQuery);
    }

    [Fact]
    public async Task A_refused_Microsoft_sign_in_is_explained_on_the_login_page()
    {
        await CreateAgentAsync(PortalRoles.Agent);
        using var client = app.CreateBrowserClient(new CookieContainer());

        var html = await (await client.GetAsync("/account/login?error=microsoft-no-role")).Content.ReadAsStringAsync();
        var unknown = await (await client.GetAsync("/account/login?error=%3Cscript%3E")).Content.ReadAsStringAsync();

        Assert.StartsWith("Your Microsoft account has no HaloPortal role.", BrowserSignIn.LoginError(html));
        Assert.Null(BrowserSignIn.LoginError(unknown));
    }

    [Fact]
    public async Task An_unknown_address_shows_the_not_found_page()
    {
        var email = await CreateAgentAsync(PortalRoles.Agent);
        using var client = app.CreateBrowserClient(new CookieContainer());
        await BrowserSignIn.SignInAsync(client, email, Password);

        using var response = await client.GetAsync("/no/such/page");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Page not found", await response.Content.ReadAsStringAsync());
    }

    private async Task<string> LoginErrorAsync(HttpClient client, string email, string password)
    {
        using var response = await BrowserSignIn.PostLoginAsync(client, email, password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return BrowserSignIn.LoginError(await response.Content.ReadAsStringAsync()) ?? "(no error shown)";
    }

    private async Task<string> CreateAgentAsync(string role)
    {
        var email = $"{role.ToLowerInvariant()}-{Guid.NewGuid():N}@example.com";
        await app.Services.GetRequiredService<IAgents>().CreateAsync(new NewAgent("Test " + role, email, Password, [role]), Actor.System);
        return email;
    }
}
