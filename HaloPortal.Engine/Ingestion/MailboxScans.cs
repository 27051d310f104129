using HaloPortal.Engine.Errors;

namespace HaloPortal.Engine.Ingestion;

/// <summary>What a scan did: the counts of API.md's import report, and the problem that stopped it, if any.</summary>
public sealed record ScanReport(int Fetched, int Created, int Updated, int Ignored, int Failed, int Pending, KnownError? Error, string? Skipped = null)
{
    /// <summary>The first emails that failed in this scan (at most 10; the inbound log has them all), each with its reason.</summary>
    public IReadOnlyList<ScanFailure> Failures { get; init; } = [];

    /// <summary>Something the scan did that its counts do not tell (e.g. a resync of the folder after the delta sync state expired).</summary>
    public string? Note { get; init; }
}

/// <summary>An email that failed during a scan, with the reason the inbound log shows.</summary>
public sealed record ScanFailure(long EmailId, string? Subject, string? From, string? Reason);

/// <summary>Progress of a running scan, for the Import emails screen.</summary>
public sealed record ScanProgress(int Discovered, int Processed, string Stage);

/// <summary>An explicit backlog import: mail received since <see cref="Since"/>, at most <see cref="Cap"/> messages.</summary>
public sealed record BacklogImport(DateTimeOffset Since, int Cap);

/// <summary>Scans mailboxes: delta query over the source folder, durable discovery, then the pipeline.</summary>
internal interface IMailboxScanner
{
    /// <summary>Scans a mailbox now through this instance's credential (Import emails).</summary>
    Task<ScanReport> ImportAsync(int mailboxId, BacklogImport? backlog = null, IProgress<ScanProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Scans through a credential when its schedule says it is due (the recurring job).</summary>
    Task<ScanReport> ScanIfDueAsync(int credentialId, CancellationToken cancellationToken = default);

    /// <summary>Scans through a credential now.</summary>
    Task<ScanReport> ScanAsync(int credentialId, RequestKind kind, BacklogImport? backlog = null, IProgress<ScanProgress>? progress = null, CancellationToken cancellationToken = default);
}
