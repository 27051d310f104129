using Hangfire;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Ingestion;

/// <summary>The recurring scan of one credential: a trigger only; the schedule and the state live in the engine and the database.</summary>
public sealed class ScanJob(IMailboxScanner scanner)
{
    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(int credentialId, CancellationToken cancellationToken) => scanner.ScanIfDueAsync(credentialId, cancellationToken);
}

/// <summary>Resumes every email a crash or restart left unfinished (the in-memory job store starts empty; the database does not).</summary>
public sealed class ResumeJob(IDbContextFactory<PortalDbContext> contexts, IMailboxScanner scanner, IOptions<PortalOptions> portal, ILogger<ResumeJob> logger)
{
    [AutomaticRetry(Attempts = 3)]
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var mailboxIds = await db.Set<InboundEmail>().Where(e => e.Stage != InboundStage.Done && e.Status != InboundStatus.Failed)
            .Select(e => e.MailboxId).Distinct().ToListAsync(cancellationToken);
        var here = portal.Value.Instance;
        var credentials = await db.Set<MailboxCredential>().Where(c => mailboxIds.Contains(c.MailboxId) && c.Instance == here)
            .Select(c => c.Id).ToListAsync(cancellationToken);
        foreach (var id in credentials)
        {
            logger.LogInformation("Resuming unfinished mail through credential {CredentialId}", id);
            await scanner.ScanAsync(id, RequestKind.Scan, cancellationToken: cancellationToken);
        }
    }
}

/// <summary>Keeps one recurring scan job per connected credential of this instance, and queues the start-up sweep.</summary>
internal sealed class ScanScheduleSync(
    IDbContextFactory<PortalDbContext> contexts,
    IRecurringJobManager recurring,
    IBackgroundJobClient jobs,
    IMailboxes mailboxes,
    IOptions<PortalOptions> portal,
    ILogger<ScanScheduleSync> logger) : IHostedService
{
    private const string Prefix = "scan-credential-";
    private readonly HashSet<int> _registered = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await SyncAsync(cancellationToken);
        mailboxes.Changed += OnChanged;
        jobs.Enqueue<ResumeJob>(j => j.RunAsync(CancellationToken.None));
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        mailboxes.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    private void OnChanged(int mailboxId) => _ = Task.Run(async () =>
    {
        try
        {
            await SyncAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not update the scan schedule after mailbox {MailboxId} changed", mailboxId);
        }
    });

    internal async Task SyncAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var here = portal.Value.Instance;
            var credentials = await db.Set<MailboxCredential>().AsNoTracking().Where(c => c.Instance == here).ToListAsync(cancellationToken);
            var wanted = credentials.Where(c => c.TargetAddress is not null).Select(c => c.Id).ToHashSet();
            foreach (var id in wanted)
            {
                // Every minute: the job itself decides whether the credential is due (3–5 min scans, 30 min safety scans).
                recurring.AddOrUpdate<ScanJob>(Prefix + id, j => j.RunAsync(id, CancellationToken.None), Cron.Minutely());
                _registered.Add(id);
            }

            foreach (var stale in _registered.Where(id => !wanted.Contains(id)).ToList())
            {
                recurring.RemoveIfExists(Prefix + stale);
                _registered.Remove(stale);
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
