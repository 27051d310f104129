using System.Text.Json;
using AngleSharp.Dom;
using Bunit;
using Hangfire;
using HaloPortal.Engine;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Tickets;
using HaloPortal.Engine.Users;
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

namespace HaloPortal.Tests.Components.Ingestion;

/// <summary>
/// bUnit for the ingestion screens: MudBlazor with loose JS interop, a user in the given role, and the real engine on a temporary
/// SQLite file migrated before anything renders. Hangfire has in-memory storage and no server, so replays are queued but not run.
/// </summary>
public sealed class IngestionTestContext : BunitContext
{
    public static readonly DateTimeOffset Now = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "haloportal-tests", "ingestion-ui-" + Guid.NewGuid().ToString("N"));
    private IRenderedComponent<MudDialogProvider>? _dialogs;

    public IngestionTestContext(string role, params string[] policies)
    {
        Directory.CreateDirectory(_directory);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(_directory, "portal.db")}",
            ["Portal:DataDirectory"] = _directory,
            ["Portal:DataProtection:KeyDirectory"] = _directory + "-keys",
            ["Sandbox:Enabled"] = "true", // on by default only in Development
        }).Build();

        Services.AddSingleton<IConfiguration>(configuration);
        Services.AddSingleton<TimeProvider>(Clock);
        Services.AddLogging();
        var environment = new TestHostEnvironment(_directory);
        Services.AddHaloEngine(configuration, environment);
        Services.AddSandbox(configuration, environment);
        // Hangfire's log provider is process-wide: the portal's disposal-safe one, so a portal host started by another test class
        // never logs through this context's logger factory after it is disposed.
        Services.AddHangfire((sp, c) => c.UseLogProvider(new HaloPortal.Hosting.HangfireLogProvider(sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>())).UseInMemoryStorage());
        Services.AddMudServices(options =>
        {
            options.SnackbarConfiguration.ShowTransitionDuration = 0;
            options.SnackbarConfiguration.HideTransitionDuration = 0;
        });
        JSInterop.Mode = JSRuntimeMode.Loose;
        AddAuthorization().SetAuthorized("user@example.com").SetRoles(role).SetPolicies(policies.Length == 0 ? [role] : policies)
            .SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, UserId));

        using var db = Contexts.CreateDbContext();
        db.Database.Migrate();
    }

    public FakeTimeProvider Clock { get; } = new(Now);

    /// <summary>The signed-in user's id (the NameIdentifier claim).</summary>
    public const string UserId = "user-1";

    public static Actor Admin => Actor.User("admin@example.com");

    public IDbContextFactory<PortalDbContext> Contexts => Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();

    public IRenderedComponent<MudDialogProvider> Dialogs => _dialogs ?? throw new InvalidOperationException("Call RenderWithProviders first.");

    /// <summary>Renders a component after the providers MudBlazor needs for selects, dialogs and snackbars.</summary>
    public IRenderedComponent<TComponent> RenderWithProviders<TComponent>(Action<ComponentParameterCollectionBuilder<TComponent>>? parameters = null)
        where TComponent : IComponent
    {
        Render<MudPopoverProvider>();
        _dialogs = Render<MudDialogProvider>();
        Render<MudSnackbarProvider>();
        return Render<TComponent>(parameters ?? (_ => { }));
    }

    public async Task<int> MailboxAsync(string name = "Support") =>
        (await Services.GetRequiredService<IMailboxes>().CreateAsync(name, MailboxConnectionType.Office365Azure, Admin)).Id;

    /// <summary>Inserts an inbound email with its requests (each: outcome and log lines).</summary>
    public async Task<InboundEmail> EmailAsync(int mailboxId, string subject, InboundStatus status, string? rule = null, string? reason = null,
        params (RequestKind Kind, RequestOutcome Outcome, LogLine[] Log)[] requests)
    {
        await using var db = await Contexts.CreateDbContextAsync();
        var email = new InboundEmail
        {
            MailboxId = mailboxId,
            DedupeKey = Guid.NewGuid().ToString("N") + "@example.com",
            Subject = subject,
            From = "someone@contoso.com",
            ReceivedAt = Now.AddMinutes(-5),
            Status = status,
            Stage = status is InboundStatus.Processed or InboundStatus.Ignored ? InboundStage.Done : InboundStage.Fetched,
            FoundBy = RequestKind.Scan,
            Rule = rule,
            Reason = reason,
            CreatedAt = Now.AddMinutes(-5),
            UpdatedAt = Now,
            RawMime = "Subject: x\r\n\r\nbody"u8.ToArray(),
        };
        db.Add(email);
        await db.SaveChangesAsync();
        foreach (var (kind, outcome, log) in requests)
        {
            db.Add(new InboundRequest
            {
                InboundEmailId = email.Id,
                MailboxId = mailboxId,
                Kind = kind,
                ReceivedAt = Now.AddMinutes(-4),
                CompletedAt = outcome == RequestOutcome.Pending ? null : Now.AddMinutes(-4),
                Outcome = outcome,
                RawContentType = "application/json",
                RawData = """{"id":"AAMk1","subject":"x"}"""u8.ToArray(),
                LogJson = JsonSerializer.Serialize(log, new JsonSerializerOptions(JsonSerializerDefaults.Web)),
            });
            await db.SaveChangesAsync();
        }

        return email;
    }

    public async Task<Ticket> TicketAsync(int number, string subject, string requesterEmail, string requesterName)
    {
        await using var db = await Contexts.CreateDbContextAsync();
        var site = await db.Set<Site>().FirstOrDefaultAsync() ?? new Site { Name = "Head office", CreatedAt = Now };
        var requester = new EndUser { Email = requesterEmail, Name = requesterName, CreatedAt = Now };
        if (site.Id == 0)
        {
            db.Add(site);
            await db.SaveChangesAsync();
        }

        requester.SiteId = site.Id;
        var ticket = new Ticket { Number = number, Subject = subject, Requester = requester, CreatedAt = Now, UpdatedAt = Now.AddMinutes(number) };
        ticket.Messages.Add(new TicketMessage { From = requesterEmail, Subject = subject, SentAt = Now, BodyHtml = $"<p>{subject}</p>", CreatedAt = Now });
        db.Add(ticket);
        await db.SaveChangesAsync();
        return ticket;
    }

    // MudBlazor registers services that only dispose asynchronously: use `await using`.
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

/// <summary>Queries by data-testid.</summary>
internal static class IngestionUi
{
    public static IElement ByTestId<T>(this IRenderedComponent<T> cut, string testId) where T : IComponent =>
        cut.Find($"[data-testid='{testId}']");

    public static IReadOnlyList<IElement> AllByTestId<T>(this IRenderedComponent<T> cut, string testId) where T : IComponent =>
        cut.FindAll($"[data-testid='{testId}']").ToList();
}
