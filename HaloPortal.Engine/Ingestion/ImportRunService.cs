using System.Text.Json;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Ingestion;

internal sealed class ImportRunService(
    IDbContextFactory<PortalDbContext> contexts,
    IMailboxScanner scanner,
    NodeRegistry nodes,
    IChangeFeed feed,
    TimeProvider time,
    ILogger<ImportRunService> logger) : IImportRuns, IChangeTopic
{
    private const string Topic = "import-runs";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public event Action<int>? Changed;

    string IChangeTopic.Topic => Topic;

    Task IChangeTopic.ApplyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        foreach (var mailboxId in ChangeKeys.Ints(keys))
        {
            Changed?.Invoke(mailboxId);
        }

        return Task.CompletedTask;
    }

    /// <summary>Raises <see cref="Changed"/> here and on the other portal nodes.</summary>
    private void RaiseChanged(int mailboxId)
    {
        feed.Publish(Topic, ChangeKeys.Of(mailboxId));
        Changed?.Invoke(mailboxId);
    }

    public async Task<ImportRunView> StartAsync(int mailboxId, ImportRunTrigger trigger, Actor startedBy, BacklogImport? backlog = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Set<Mailbox>().AnyAsync(m => m.Id == mailboxId, cancellationToken))
        {
            throw new KeyNotFoundException($"Mailbox {mailboxId} does not exist.");
        }

        var run = new ImportRun
        {
            MailboxId = mailboxId, Trigger = trigger, StartedBy = startedBy.ToString(), StartedAt = time.GetUtcNow(), Status = ImportRunStatus.Running,
            BacklogSince = backlog?.Since, BacklogCap = backlog?.Cap, Node = nodes.Name, NodeInstance = nodes.InstanceId,
        };
        db.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        RaiseChanged(mailboxId);
        return View(run);
    }

    public Task<ImportRunView> FinishAsync(long runId, ScanReport report, CancellationToken cancellationToken = default) =>
        EndAsync(runId, report.Skipped is not null ? ImportRunStatus.Skipped : report.Error is not null ? ImportRunStatus.Failed : ImportRunStatus.Finished, report);

    public async Task<ImportRunView?> RunAsync(long runId, IProgress<ScanProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ImportRun? run;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            run = await db.Set<ImportRun>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken);
        }

        if (run is not { Status: ImportRunStatus.Running })
        {
            return run is null ? null : View(run);
        }

        return (await ScanAsync(View(run), progress, cancellationToken)).Run;
    }

    public async Task<(ImportRunView Run, ScanReport Report)> ImportAsync(int mailboxId, ImportRunTrigger trigger, Actor startedBy, BacklogImport? backlog = null,
        IProgress<ScanProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var run = await StartAsync(mailboxId, trigger, startedBy, backlog, cancellationToken);
        return await ScanAsync(run, progress, cancellationToken);
    }

    private async Task<(ImportRunView Run, ScanReport Report)> ScanAsync(ImportRunView run, IProgress<ScanProgress>? progress, CancellationToken cancellationToken)
    {
        // The node that works the run owns it (a job queued on one node may run on another): the sweeps of other nodes
        // leave it alone while this node is alive.
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var (name, me) = (nodes.Name, nodes.InstanceId);
            if (await db.Set<ImportRun>().Where(r => r.Id == run.Id && r.Status == ImportRunStatus.Running)
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.Node, name).SetProperty(r => r.NodeInstance, me), cancellationToken) == 0)
            {
                var ended = await db.Set<ImportRun>().AsNoTracking().SingleAsync(r => r.Id == run.Id, cancellationToken);
                return (View(ended), new ScanReport(0, 0, 0, 0, 0, 0, null, $"The run is no longer running ({ended.Status})."));
            }
        }

        ScanReport report;
        try
        {
            report = await scanner.ImportAsync(run.MailboxId, run.Backlog, progress, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await EndAsync(run.Id, ImportRunStatus.Interrupted, null);
            throw;
        }
        catch (Exception ex)
        {
            // The defect itself is logged (and answered as a 500 problem) by whoever called; the run says it stopped instead of staying Running.
            var error = KnownErrors.Unknown("UnexpectedError", $"The import stopped on an unexpected error ({ex.GetType().Name}); the portal's log has the details.");
            await EndAsync(run.Id, ImportRunStatus.Failed, new ScanReport(0, 0, 0, 0, 0, 0, error));
            throw;
        }

        return (await FinishAsync(run.Id, report, CancellationToken.None), report);
    }

    private async Task<ImportRunView> EndAsync(long runId, ImportRunStatus status, ScanReport? report)
    {
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        var run = await db.Set<ImportRun>().SingleAsync(r => r.Id == runId, CancellationToken.None);
        run.Status = status;
        run.FinishedAt = time.GetUtcNow();
        if (report is not null)
        {
            run.Fetched = report.Fetched;
            run.Created = report.Created;
            run.Updated = report.Updated;
            run.Ignored = report.Ignored;
            run.Failed = report.Failed;
            run.Pending = report.Pending;
            run.ErrorCode = report.Error?.Code;
            run.ErrorTitle = report.Error?.Title;
            run.ErrorMessage = report.Error?.Message;
            run.ErrorFix = report.Error?.Fix;
            run.ErrorKind = report.Error?.Kind;
            run.SkippedReason = report.Skipped;
            run.FailuresJson = report.Failures.Count == 0 ? null : JsonSerializer.Serialize(report.Failures, Json);
            run.Note = report.Note;
        }

        await db.SaveChangesAsync(CancellationToken.None);
        logger.LogInformation("Email import run {RunId} of mailbox {MailboxId} ended {Status}", run.Id, run.MailboxId, status);
        RaiseChanged(run.MailboxId);
        return View(run);
    }

    public async Task<IReadOnlyList<ImportRunView>> ListAsync(int mailboxId, int take = 20, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var runs = await db.Set<ImportRun>().AsNoTracking().Where(r => r.MailboxId == mailboxId).OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id)
            .Take(Math.Clamp(take, 1, 500)).ToListAsync(cancellationToken);
        return runs.Select(View).ToList();
    }

    public async Task<ImportRunView?> GetAsync(int mailboxId, long runId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.Set<ImportRun>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId && r.MailboxId == mailboxId, cancellationToken);
        return run is null ? null : View(run);
    }

    private static ImportRunView View(ImportRun r) => new(
        r.Id, r.MailboxId, r.Trigger, r.StartedBy, r.StartedAt, r.FinishedAt, r.Status,
        r.BacklogSince is { } since ? new BacklogImport(since, r.BacklogCap ?? 0) : null,
        r.Fetched, r.Created, r.Updated, r.Ignored, r.Failed, r.Pending,
        r.ErrorCode is { } code ? new KnownError(code, r.ErrorTitle ?? code, r.ErrorMessage ?? "", r.ErrorFix ?? "", r.ErrorKind ?? ErrorKind.Unknown) : null,
        r.SkippedReason,
        r.FailuresJson is null ? [] : JsonSerializer.Deserialize<List<ScanFailure>>(r.FailuresJson, Json) ?? []) { Node = r.Node, Note = r.Note };
}

/// <summary>
/// Marks the runs a stopped node left Running as Interrupted (nothing will finish them): at start-up and then with the
/// node's recoveries. Only runs of an earlier process of this node or of a node no longer alive: never another live node's.
/// </summary>
internal sealed class InterruptedImportSweep(IDbContextFactory<PortalDbContext> contexts, NodeRegistry nodes, TimeProvider time, ILogger<InterruptedImportSweep> logger)
    : IStartupTask, INodeRecovery
{
    public int Order => 100;

    public Task RunAsync(CancellationToken cancellationToken) => RecoverAsync(cancellationToken);

    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var (me, name) = (nodes.InstanceId, nodes.Name);
        var live = nodes.LiveInstances(db, now);
        var count = await db.Set<ImportRun>()
            .Where(r => r.Status == ImportRunStatus.Running && (r.NodeInstance == null || (r.NodeInstance != me && (r.Node == name || !live.Contains(r.NodeInstance)))))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, ImportRunStatus.Interrupted).SetProperty(r => r.FinishedAt, now), cancellationToken);
        if (count > 0)
        {
            logger.LogWarning("{Count} email import run(s) were left running by a stopped portal node and are marked Interrupted", count);
        }
    }
}
