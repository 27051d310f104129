using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Errors;

namespace HaloPortal.Engine.Ingestion;

/// <summary>How an email import run ended (or that it is still going).</summary>
public enum ImportRunStatus
{
    Running,
    Finished,
    Failed,
    Skipped,

    /// <summary>The node running it stopped before it finished (marked at the next start-up).</summary>
    Interrupted,
}

/// <summary>Where an email import was started.</summary>
public enum ImportRunTrigger
{
    Screen,
    Api,
}

/// <summary>
/// One recorded Import emails run: who started it and how, the backlog asked for, and its report as the API gives it
/// (the counts, the emails that failed, the catalogued error that stopped it, or why nothing was read).
/// </summary>
public sealed record ImportRunView(
    long Id, int MailboxId, ImportRunTrigger Trigger, string StartedBy, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, ImportRunStatus Status,
    BacklogImport? Backlog, int Fetched, int Created, int Updated, int Ignored, int Failed, int Pending, KnownError? Error, string? SkippedReason,
    IReadOnlyList<ScanFailure> Failures)
{
    public bool Running => Status == ImportRunStatus.Running;

    /// <summary>The portal node that ran (or runs) the import.</summary>
    public string? Node { get; init; }

    /// <summary>The report's note: what the scan did that its counts do not tell (e.g. that it resynced the folder after the delta sync state expired).</summary>
    public string? Note { get; init; }
}

/// <summary>Records every email import of a mailbox (from the screen or the API) as a run, and runs them.</summary>
public interface IImportRuns
{
    /// <summary>Records a new Running run.</summary>
    /// <exception cref="KeyNotFoundException">No such mailbox.</exception>
    Task<ImportRunView> StartAsync(int mailboxId, ImportRunTrigger trigger, Actor startedBy, BacklogImport? backlog = null, CancellationToken cancellationToken = default);

    /// <summary>Records how a run ended, from the scan's report (Finished, Failed with the report's error, or Skipped with its reason).</summary>
    Task<ImportRunView> FinishAsync(long runId, ScanReport report, CancellationToken cancellationToken = default);

    /// <summary>Scans the run's mailbox with the run's backlog and records the report; does nothing when the run is no longer Running (safe to run twice).</summary>
    Task<ImportRunView?> RunAsync(long runId, IProgress<ScanProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Starts a run and runs it now (the screen, and the API with <c>wait=true</c>).</summary>
    /// <exception cref="KeyNotFoundException">No such mailbox.</exception>
    Task<(ImportRunView Run, ScanReport Report)> ImportAsync(int mailboxId, ImportRunTrigger trigger, Actor startedBy, BacklogImport? backlog = null,
        IProgress<ScanProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>The mailbox's runs, newest first.</summary>
    Task<IReadOnlyList<ImportRunView>> ListAsync(int mailboxId, int take = 20, CancellationToken cancellationToken = default);

    /// <summary>One run of the mailbox, or null.</summary>
    Task<ImportRunView?> GetAsync(int mailboxId, long runId, CancellationToken cancellationToken = default);

    /// <summary>Raised with the mailbox id after one of its runs started or ended.</summary>
    event Action<int>? Changed;
}
