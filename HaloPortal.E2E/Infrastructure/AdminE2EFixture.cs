using HaloPortal.E2E.Pages;

namespace HaloPortal.E2E.Infrastructure;

/// <summary>
/// Browser tests that need a signed-in administrator: their own portal (started with <c>Portal__BootstrapAdmin__*</c>, so they
/// never depend on <c>FoundationTests</c>, which needs a portal without accounts) and one sign-in whose cookies every test's
/// browser context starts with.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AdminE2ECollection : ICollectionFixture<AdminE2EFixture>
{
    public const string Name = "E2E signed in";
}

public sealed class AdminE2EFixture : E2EFixture
{
    public const string BootstrapEmail = "sandbox-admin@haloportal.test";

    public string BootstrapPassword { get; } = $"e2e-{Guid.NewGuid():N}"[..22] + "9b";

    protected override IReadOnlyDictionary<string, string> PortalEnvironment => new Dictionary<string, string>
    {
        ["Portal__BootstrapAdmin__Email"] = BootstrapEmail,
        ["Portal__BootstrapAdmin__Password"] = BootstrapPassword,
        // Webhooks: Graph (the sandbox) sends change notifications to the portal's own address.
        ["Portal__PublicBaseUrl"] = $"http://127.0.0.1:{PortalPort}",
    };

    protected override async Task OnStartedAsync()
    {
        var page = await NewPageAsync();
        try
        {
            await page.GotoAsync("/account/login");
            await new LoginPage(page).SignInAsync(BootstrapEmail, BootstrapPassword);
            await new ShellPage(page).AssertSignedInAsync(BootstrapEmail);
            StorageState = await page.Context.StorageStateAsync();
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
