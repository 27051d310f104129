using System.ComponentModel.DataAnnotations;

namespace HaloPortal.Engine.Ingestion;

/// <summary>Scan schedule and retry settings (section <c>Portal:Ingestion</c>).</summary>
public sealed class IngestionOptions
{
    public const string SectionName = "Portal:Ingestion";

    /// <summary>Minutes between scans of a Mailbox-scan credential (jitter is added on top).</summary>
    [Range(1, 1440, ErrorMessage = "Portal:Ingestion:ScanIntervalMinutes must be between 1 and 1440.")]
    public int ScanIntervalMinutes { get; set; } = 3;

    /// <summary>Upper bound of the random delay added to each interval, so mailboxes do not scan in lockstep (3 + up to 2 = every 3–5 minutes).</summary>
    [Range(0, 1440, ErrorMessage = "Portal:Ingestion:ScanJitterMinutes must be between 0 and 1440.")]
    public int ScanJitterMinutes { get; set; } = 2;

    /// <summary>Minutes between the safety scans of webhook credentials.</summary>
    [Range(1, 1440, ErrorMessage = "Portal:Ingestion:SafetyScanIntervalMinutes must be between 1 and 1440.")]
    public int SafetyScanIntervalMinutes { get; set; } = 30;

    /// <summary>How many times a transient failure is retried before the email is marked failed.</summary>
    [Range(0, 50)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>
    /// How many times reading a message is repeated within a run when Graph answers with a transient error (throttling, 5xx),
    /// before the email waits for a later run. Each repeat is an attempt the inbound log shows as it happens.
    /// </summary>
    [Range(0, 10, ErrorMessage = "Portal:Ingestion:ReadRetries must be between 0 and 10.")]
    public int ReadRetries { get; set; } = 10;

    /// <summary>Seconds before the first repeat of a read when Graph names no Retry-After (doubled for each further repeat, at most 180).</summary>
    [Range(1, 180, ErrorMessage = "Portal:Ingestion:ReadRetryDelaySeconds must be between 1 and 180.")]
    public int ReadRetryDelaySeconds { get; set; } = 2;

    /// <summary>Messages requested per delta page ($top / odata.maxpagesize).</summary>
    [Range(1, 1000)]
    public int PageSize { get; set; } = 100;

    /// <summary>The largest backlog an explicit backlog import may fetch.</summary>
    [Range(1, 100000)]
    public int MaxBacklog { get; set; } = 5000;
}
