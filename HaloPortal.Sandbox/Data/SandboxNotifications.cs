namespace HaloPortal.Sandbox.Data;

internal sealed class SbSubscription
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid AppId { get; set; }
    /// <summary>The signed-in user for delegated subscriptions; the app's service principal otherwise.</summary>
    public Guid CreatorId { get; set; }
    public required string Resource { get; set; }
    public required string ChangeType { get; set; }
    public required string NotificationUrl { get; set; }
    public string? LifecycleNotificationUrl { get; set; }
    public string? ClientState { get; set; }
    public string? LatestSupportedTlsVersion { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public Guid MailboxId { get; set; }
    /// <summary>Null: every folder of the mailbox.</summary>
    public string? FolderId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public int DeliveredCount { get; set; }
    public int SlowCount { get; set; }
    public int FailedCount { get; set; }
}

internal enum SbNotificationStatus
{
    Pending,
    Delivered,
    Failed,
    Dropped,
}

/// <summary>A change or lifecycle notification waiting to be (re)delivered; kept so retries survive restarts.</summary>
internal sealed class SbNotification
{
    public long Id { get; set; }
    public Guid SubscriptionId { get; set; }
    public bool Lifecycle { get; set; }
    public required string Url { get; set; }
    public required string Body { get; set; }
    public int Attempts { get; set; }
    public SbNotificationStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public double? LastDurationMs { get; set; }
}

internal sealed class SbFault
{
    public Guid Id { get; set; }
    /// <summary>The mailbox address the fault applies to; null for every mailbox.</summary>
    public string? Mailbox { get; set; }
    public SandboxFaultKind Kind { get; set; }
    public int? Status { get; set; }
    /// <summary>How many more times it applies; null until cleared.</summary>
    public int? Remaining { get; set; }
    public int? RetryAfterSeconds { get; set; }
    public int? DelaySeconds { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
