using Bunit;
using AngleSharp.Dom;
using Bunit.TestDoubles;
using HaloPortal.Components.Pages.Configuration.Email;
using HaloPortal.Engine;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Portal;
using HaloPortal.Sandbox;
using Microsoft.AspNetCore.Components;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using MudBlazor;
using MudBlazor.Services;

namespace HaloPortal.Tests.Components.Email;

/// <summary>
/// bUnit for the email screens: MudBlazor with loose JS interop, an Administrator, and the real engine on a temporary
/// SQLite file (migrated before anything renders). Time is a fake clock.
/// </summary>
public sealed class EmailTestContext : BunitContext
{
    public static readonly DateTimeOffset Now = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);

    private IRenderedComponent<MudDialogProvider>? _dialogs;
    private IRenderedComponent<MudPopoverProvider>? _popovers;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "haloportal-tests", "email-ui-" + Guid.NewGuid().ToString("N"));

    public EmailTestContext(PortalHosting hosting = PortalHosting.Cloud, PortalInstance instance = PortalInstance.Production)
    {
        Directory.CreateDirectory(_directory);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(_directory, "portal.db")}",
            ["Portal:DataDirectory"] = _directory,
            ["Portal:DataProtection:KeyDirectory"] = _directory + "-keys",
            ["Sandbox:Enabled"] = "true", // on by default only in Development
            // No server runs under bUnit: point the sandbox at a closed loopback port so sign-ins fail fast, as an unreachable cloud would.
            ["Sandbox:BaseUrl"] = "http://127.0.0.1:9",
            ["Portal:Hosting"] = hosting.ToString(),
            ["Portal:Instance"] = instance.ToString(),
            ["Portal:PublicBaseUrl"] = "https://helpdesk.example.com",
        }).Build();

        Services.AddSingleton<IConfiguration>(configuration);
        Services.AddSingleton<TimeProvider>(Clock);
        Services.AddLogging();
        var environment = new TestHostEnvironment(_directory);
        Services.AddHaloEngine(configuration, environment);
        Services.AddSandbox(configuration, environment);
        Services.AddMudServices(options =>
        {
            options.SnackbarConfiguration.ShowTransitionDuration = 0;
            options.SnackbarConfiguration.HideTransitionDuration = 0;
        });
        JSInterop.Mode = JSRuntimeMode.Loose;
        AddAuthorization()
            .SetAuthorized("admin@example.com")
            .SetRoles(PortalRoles.Administrator)
            .SetPolicies(PortalPolicies.Administrator);

        using var db = Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext();
        db.Database.Migrate();
    }

    public FakeTimeProvider Clock { get; } = new(Now);

    public IMailboxes Mailboxes => Services.GetRequiredService<IMailboxes>();

    public ICredentials Credentials => Services.GetRequiredService<ICredentials>();

    public IEmailSettings EmailSettings => Services.GetRequiredService<IEmailSettings>();

    public static Actor Admin => Actor.User("admin@example.com");

    /// <summary>Where dialogs open (rendered by <see cref="RenderWithProviders{TComponent}"/>).</summary>
    public IRenderedComponent<MudDialogProvider> Dialogs => _dialogs ?? throw new InvalidOperationException("Call RenderWithProviders first.");

    /// <summary>Where select lists and menus open.</summary>
    public IRenderedComponent<MudPopoverProvider> Popovers => _popovers ?? throw new InvalidOperationException("Call RenderWithProviders first.");

    /// <summary>Opens a MudSelect (found by its data-testid) and picks the option whose text contains <paramref name="text"/>.</summary>
    public void Choose<T>(IRenderedComponent<T> cut, string testId, string text) where T : IComponent
    {
        cut.Find($"[data-testid='{testId}']").Closest(".mud-input-control")!.MouseDown();
        Popovers.WaitForElements(".mud-list-item")
            .First(e => e.TextContent.Contains(text, StringComparison.Ordinal))
            .Click();
    }

    /// <summary>Renders a component after the providers MudBlazor needs for selects, dialogs and snackbars.</summary>
    public IRenderedComponent<TComponent> RenderWithProviders<TComponent>(Action<ComponentParameterCollectionBuilder<TComponent>>? parameters = null)
        where TComponent : IComponent
    {
        _popovers = Render<MudPopoverProvider>();
        _dialogs = Render<MudDialogProvider>();
        return Render<TComponent>(parameters ?? (_ => { }));
    }

    /// <summary>Opens the mailbox page at its address (query parameters such as <c>?tab=credentials</c> come from the URI).</summary>
    public IRenderedComponent<MailboxPage> RenderMailboxPage(int mailboxId, string query = "")
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/configuration/email/mailboxes/{mailboxId}{query}");
        return RenderWithProviders<MailboxPage>(p => p.Add(c => c.Id, mailboxId));
    }

    public Task<MailboxDetails> CreateMailboxAsync(string name = "Support") =>
        Mailboxes.CreateAsync(name, MailboxConnectionType.Office365Azure, Admin);

    /// <summary>A valid client-credentials set (secret value, not ID).</summary>
    public Task<CredentialView> CreateCredentialAsync(int mailboxId, Action<CredentialInput>? change = null)
    {
        var input = new CredentialInput
        {
            TenantId = "8f2c6a1e-4b3d-4c5e-9f70-1a2b3c4d5e6f",
            ClientId = "2f6a5c1e-8d4b-4b8f-9a57-3c1d2e4f5a6b",
            ClientSecret = "Xy7~" + Guid.NewGuid().ToString("N"),
            SecretExpiresAt = DateTimeOffset.UtcNow.AddDays(180),
            EmailAddress = "support@contoso.com",
        };
        change?.Invoke(input);
        return Credentials.CreateAsync(mailboxId, input, Admin);
    }

    /// <summary>Puts a credential in the state a completed authorisation-code sign-in leaves it in (the engine's sign-in needs a live tenant).</summary>
    public async Task MarkSignedInAsync(int credentialId, string address)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var credential = await db.Set<MailboxCredential>().SingleAsync(c => c.Id == credentialId);
        credential.Status = CredentialStatus.Connected;
        credential.HomeAccountId = "00000000-0000-0000-0000-000000000001.8f2c6a1e-4b3d-4c5e-9f70-1a2b3c4d5e6f";
        credential.ConnectedAddress = address;
        credential.ConnectedDisplayName = "Support";
        credential.ConnectedAt = Now;
        await db.SaveChangesAsync();
    }

    // MudBlazor registers services that only dispose asynchronously: use `await using`.
    /// <summary>Records a status and catalogued error as the engine's checks would.</summary>
    public async Task SetStateAsync(int credentialId, CredentialStatus status, string? errorCode)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var credential = await db.Set<MailboxCredential>().SingleAsync(c => c.Id == credentialId);
        credential.Status = status;
        credential.LastErrorCode = errorCode;
        credential.LastErrorAt = errorCode is null ? null : Clock.GetUtcNow();
        await db.SaveChangesAsync();
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
            if (Directory.Exists(_directory + "-keys"))
            {
                Directory.Delete(_directory + "-keys", recursive: true);
            }
        }
        catch (IOException)
        {
            // A file still held by the OS stays in the temp folder.
        }
    }

    private sealed class TestHostEnvironment(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Testing";

        public string ApplicationName { get; set; } = "HaloPortal";

        public string ContentRootPath { get; set; } = root;

        public IFileProvider ContentRootFileProvider { get; set; } = new PhysicalFileProvider(root);
    }
}
