using System.Net;
using System.Text.RegularExpressions;
using HaloPortal.Engine.Accounts;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Tests.Security;

/// <summary>In Production the "Create the first administrator" page asks for the one-time code the portal wrote to its log at start-up.</summary>
public sealed partial class FirstAdministratorSetupCodeTests
{
    [Fact]
    public async Task In_Production_the_first_administrator_needs_the_setup_code_from_the_log_and_the_code_works_once()
    {
        using var app = new ProductionPortalFactory();
        using var client = app.CreateSecureCookieClient();

        using var page = await client.GetAsync("/account/setup");
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, string.Join("\n", app.Logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Message)));
        Assert.Contains("data-testid=\"setup-code\"", html);

        var warnings = app.Logs.Entries.Where(e => e.Message.StartsWith("Nobody has an account yet", StringComparison.Ordinal)).ToList();
        var warning = Assert.Single(warnings);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains($"{ProductionPortalFactory.PublicBaseUrl}/account/setup", warning.Message);
        var code = SetupCode().Match(warning.Message).Value;
        Assert.NotEmpty(code);

        Assert.Contains("The setup code is not right.", await PostSetupAsync(client, "attacker@example.com", code: null));
        Assert.Contains("The setup code is not right.", await PostSetupAsync(client, "attacker@example.com", code: "AAAA-BBBB-CCCC-DDDD"));
        Assert.Equal(0, (await app.Services.GetRequiredService<IAgents>().ListAsync(new AgentQuery())).Total);

        Assert.Null(await PostSetupAsync(client, "owner@example.com", code.ToLowerInvariant()));
        var admin = Assert.Single((await app.Services.GetRequiredService<IAgents>().ListAsync(new AgentQuery())).Items);
        Assert.Equal("owner@example.com", admin.Email);

        // Used: the page is gone and the engine refuses the same code.
        using var again = await app.CreateSecureCookieClient().GetAsync("/account/setup");
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        var reuse = await app.Services.GetRequiredService<IFirstRunSetup>().CreateFirstAdministratorAsync("second@example.com", "Second", "second1admin2pass", code);
        Assert.False(reuse.Succeeded);
    }

    [Fact]
    public async Task In_Production_a_wrong_code_never_creates_an_account_and_the_right_one_does()
    {
        using var database = TestDatabase.Create();
        var logs = new CapturedLogs();
        await using var services = new ServiceCollection().AddTestEngine(database, new Dictionary<string, string?> { ["Portal:PublicBaseUrl"] = ProductionPortalFactory.PublicBaseUrl, ["Portal:DataProtection:AllowGeneratedCertificate"] = "true" }, environmentName: "Production")
            .AddSingleton<ILoggerProvider>(logs).BuildServiceProvider();
        await services.StartEngineAsync();
        var setup = services.GetRequiredService<IFirstRunSetup>();
        var code = SetupCode().Match(Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("Nobody has an account yet", StringComparison.Ordinal)).Message).Value;

        Assert.True(setup.RequiresSetupCode);
        Assert.Equal("SetupCode", Assert.Single((await setup.CreateFirstAdministratorAsync("a@example.com", "A", "first1admin2pass")).Errors).Code);
        Assert.Equal("SetupCode", Assert.Single((await setup.CreateFirstAdministratorAsync("a@example.com", "A", "first1admin2pass", code[..^1] + (code[^1] == 'X' ? "Y" : "X"))).Errors).Code);
        Assert.True(await setup.NeedsFirstAdministratorAsync());

        Assert.True((await setup.CreateFirstAdministratorAsync("a@example.com", "A", "first1admin2pass", $" {code} ")).Succeeded);
        Assert.False(await setup.NeedsFirstAdministratorAsync());
    }

    [Fact]
    public async Task In_Production_the_bootstrap_administrator_needs_no_code_and_no_code_is_logged()
    {
        using var database = TestDatabase.Create();
        var logs = new CapturedLogs();
        await using var services = new ServiceCollection().AddTestEngine(database,
                new Dictionary<string, string?> { ["Portal:BootstrapAdmin:Email"] = "boot@example.com", ["Portal:BootstrapAdmin:Password"] = "boot1admin2pass", ["Portal:PublicBaseUrl"] = ProductionPortalFactory.PublicBaseUrl, ["Portal:DataProtection:AllowGeneratedCertificate"] = "true" },
                environmentName: "Production")
            .AddSingleton<ILoggerProvider>(logs).BuildServiceProvider();

        await services.StartEngineAsync();

        Assert.Equal("boot@example.com", Assert.Single((await services.GetRequiredService<IAgents>().ListAsync(new AgentQuery())).Items).Email);
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("setup code", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Outside_Production_no_code_is_asked_for()
    {
        using var database = TestDatabase.Create();
        await using var services = await TestEngine.StartAsync(database);
        var setup = services.GetRequiredService<IFirstRunSetup>();

        Assert.False(setup.RequiresSetupCode);
        Assert.True((await setup.CreateFirstAdministratorAsync("dev@example.com", "Dev", "first1admin2pass")).Succeeded);
    }

    /// <summary>Posts the setup form; returns the error box's text, or null when the answer redirected (created).</summary>
    private static async Task<string?> PostSetupAsync(HttpClient client, string email, string? code)
    {
        using var page = await client.GetAsync("/account/setup");
        var form = new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = BrowserSignIn.AntiforgeryToken(await page.Content.ReadAsStringAsync()),
            ["_handler"] = "setup",
            ["Input.DisplayName"] = "Owner",
            ["Input.Email"] = email,
            ["Input.Password"] = "first1admin2pass",
            ["Input.Confirm"] = "first1admin2pass",
        };
        if (code is not null)
        {
            form["Input.SetupCode"] = code;
        }

        using var response = await client.PostAsync("/account/setup", new FormUrlEncodedContent(form));
        if (response.StatusCode == HttpStatusCode.Redirect)
        {
            return null;
        }

        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST /account/setup answered {(int)response.StatusCode}");
        var error = ErrorBox().Match(html);
        return error.Success ? WebUtility.HtmlDecode(error.Groups["text"].Value) : "(no error shown)";
    }

    [GeneratedRegex("[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")]
    private static partial Regex SetupCode();

    [GeneratedRegex("""data-testid="setup-error"[^>]*>(?<text>[\s\S]*?)</div>\s*</div>""")]
    private static partial Regex ErrorBox();
}
