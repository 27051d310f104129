using Hangfire;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Ingestion;

/// <summary>The recurring scan of one credential: a trigger only; the schedule and the state live in the engine and the database.</summary>
internal sealed class ScanJob(IMailboxScanner scanner)
{
    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(int credentialId, CancellationToken cancellationToken) => scanner.ScanIfDueAsync(credentialId, cancellationToken);
}

/// <summary>An Import emails run someone started through the API without waiting: run by Hangfire, so it survives the request and is listed with the other jobs.</summary>
public sealed class ImportRunJob(IImportRuns runs)
{
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(long importRunId, CancellationToken cancellationToken) => await runs.RunAsync(importRunId, null, cancellationToken);
}

/// <summary>Resumes every email a crash or restart left unfinished (the in-memory job store starts empty; the database does not).</summary>
internal sealed class ResumeJob(IDbContextFactory<PortalDbContext> contexts, IMailboxScanner scanner, IOptions<PortalOptions> portal, ILogger<ResumeJob> logger)
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
    ILogger<ScanScheduleSync> logger) : RecurringJobSet(recurring, logger)
{
    protected override string Prefix => "scan-credential-";

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken);
        jobs.Enqueue<ResumeJob>(j => j.RunAsync(CancellationToken.None));
    }

    protected override async Task<IReadOnlyCollection<int>> WantedAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var here = portal.Value.Instance;
        var credentials = await db.Set<MailboxCredential>().AsNoTracking().Where(c => c.Instance == here).ToListAsync(cancellationToken);
        return credentials.Where(c => c.TargetAddress is not null).Select(c => c.Id).ToList(); // TargetAddress is derived, not a column
    }

    // Every minute: the job itself decides whether the credential is due (3–5 min scans, 30 min safety scans).
    protected override void Register(IRecurringJobManager jobs, string jobId, int id) =>
        jobs.AddOrUpdate<ScanJob>(jobId, j => j.RunAsync(id, CancellationToken.None), Cron.Minutely());

    protected override void Watch(Action<int> changed, bool subscribe)
    {
        if (subscribe)
        {
            mailboxes.Changed += changed;
        }
        else
        {
            mailboxes.Changed -= changed;
        }
    }
}
