using System.Net;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Security;

/// <summary>The login form answers an unknown address, a wrong password, a locked and a disabled account alike.</summary>
public sealed class LoginEnumerationTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private const string Password = "correct1horse";
    private const string Expected = "The email or password is not right, or this account cannot sign in now. Check both and try again; "
        + "after 5 failed attempts an account is locked for 15 minutes. If it still fails, ask an administrator.";

    [Fact]
    public async Task Unknown_address_wrong_password_locked_and_disabled_accounts_get_the_same_message()
    {
        var known = await CreateAgentAsync();
        var locked = await CreateAgentAsync();
        var disabled = await CreateAgentAsync();
        var agents = app.Services.GetRequiredService<IAgents>();
        await agents.SetDisabledAsync((await agents.ListAsync(new AgentQuery(disabled))).Items.Single().Id, true, Actor.System);
        using var client = app.CreateBrowserClient(new CookieContainer());
        for (var i = 0; i < 5; i++)
        {
            await LoginErrorAsync(client, locked, "wrong1password");
        }

        var unknown = await LoginErrorAsync(client, $"nobody-{Guid.NewGuid():N}@example.com", Password);
        var wrongPassword = await LoginErrorAsync(client, known, "wrong1password");
        var lockedWithRightPassword = await LoginErrorAsync(client, locked, Password);
        var disabledWithRightPassword = await LoginErrorAsync(client, disabled, Password);

        Assert.Equal(Expected, unknown);
        Assert.Equal(Expected, wrongPassword);
        Assert.Equal(Expected, lockedWithRightPassword);
        Assert.Equal(Expected, disabledWithRightPassword);
        Assert.Equal(AgentStatus.LockedOut, (await agents.ListAsync(new AgentQuery(locked))).Items.Single().Status);
    }

    private async Task<string> LoginErrorAsync(HttpClient client, string email, string password)
    {
        using var response = await BrowserSignIn.PostLoginAsync(client, email, password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return BrowserSignIn.LoginError(await response.Content.ReadAsStringAsync()) ?? "(no error shown)";
    }

    private async Task<string> CreateAgentAsync()
    {
        var email = $"login-{Guid.NewGuid():N}@example.com";
        await app.Services.GetRequiredService<IAgents>().CreateAsync(new NewAgent("Login test", email, Password, [PortalRoles.Agent]), Actor.System);
        return email;
    }
}
