namespace HaloPortal.Engine.Ingestion.Sources.Webhook;

/// <summary>
/// A webhook email that a transient failure left waiting has a Hangfire job for its next attempt. Other paths (the recovery sweep, a
/// scan's discovery and leftovers) leave it to that job, and take it over only once the job is <see cref="Grace"/> overdue (lost):
/// at the due time itself they would race the job, and the email's log would name the wrong reason.
/// </summary>
internal static class WebhookRetries
{
    /// <summary>How long past its time a scheduled retry may be before another path takes the email (Hangfire polls every second).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    /// <summary>Attempts due before this are overdue: their job was lost.</summary>
    public static DateTimeOffset OverdueBefore(DateTimeOffset now) => now - Grace;

    /// <summary>Whether an email is its retry job's to take now (a webhook email whose next attempt is not yet overdue).</summary>
    public static bool LeftToItsJob(RequestKind foundBy, DateTimeOffset? nextAttemptAt, DateTimeOffset now) =>
        foundBy == RequestKind.Webhook && nextAttemptAt > OverdueBefore(now);
}
