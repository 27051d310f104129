using System.ComponentModel.DataAnnotations;

namespace HaloPortal.Engine.Subscriptions;

/// <summary>Graph subscriptions and the webhook worker (section <c>Portal:Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Portal:Webhooks";

    /// <summary>The longest lifetime Graph allows for mail subscriptions (documents say 10,080 minutes now, 4,230 earlier).</summary>
    [Range(45, 100_000, ErrorMessage = "Portal:Webhooks:MaxSubscriptionMinutes must be between 45 and 100000.")]
    public int MaxSubscriptionMinutes { get; set; } = 10_080;

    /// <summary>A subscription is renewed once it is this close to expiry (2 days; at most half the lifetime).</summary>
    [Range(15, 100_000, ErrorMessage = "Portal:Webhooks:RenewBeforeExpiryMinutes must be between 15 and 100000.")]
    public int RenewBeforeExpiryMinutes { get; set; } = 2_880;

    /// <summary>Consecutive failed renewals after which the subscription is marked Failed and the error shown on the credential.</summary>
    [Range(1, 20, ErrorMessage = "Portal:Webhooks:MaxRenewalAttempts must be between 1 and 20.")]
    public int MaxRenewalAttempts { get; set; } = 3;

    /// <summary>Acknowledged notifications wait in the database instead of being processed (maintenance; tests of restarts).</summary>
    public bool PauseProcessing { get; set; }

    /// <summary>Most notifications taken into one processing batch.</summary>
    [Range(1, 1000, ErrorMessage = "Portal:Webhooks:ProcessingBatchSize must be between 1 and 1000.")]
    public int ProcessingBatchSize { get; set; } = 50;

    /// <summary>Largest notification body accepted, in bytes.</summary>
    [Range(1024, 10_000_000, ErrorMessage = "Portal:Webhooks:MaxBodyBytes must be between 1024 and 10000000.")]
    public int MaxBodyBytes { get; set; } = 1_000_000;

    /// <summary>Most items accepted in one notification POST (Graph sends at most a few hundred); a larger batch is refused with 413 before anything is recorded.</summary>
    [Range(1, 100_000, ErrorMessage = "Portal:Webhooks:MaxItemsPerBatch must be between 1 and 100000.")]
    public int MaxItemsPerBatch { get; set; } = 1_000;

    /// <summary>How long a subscription id found in no database row is remembered as unknown, so the same id is not looked up again.</summary>
    [Range(1, 86_400, ErrorMessage = "Portal:Webhooks:UnknownSubscriptionCacheSeconds must be between 1 and 86400.")]
    public int UnknownSubscriptionCacheSeconds { get; set; } = 300;

    /// <summary>
    /// How many rejected notification items are kept (newest first, raw JSON cut to 4 KB) for the Rejected notifications tab, and how
    /// many at most are stored per minute (a flood refreshes the sample once a minute); the rest are only counted.
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "Portal:Webhooks:RejectedSampleSize must be between 1 and 10000.")]
    public int RejectedSampleSize { get; set; } = 50;

    internal TimeSpan Lifetime => TimeSpan.FromMinutes(MaxSubscriptionMinutes);

    internal TimeSpan RenewWindow => TimeSpan.FromMinutes(Math.Min(RenewBeforeExpiryMinutes, MaxSubscriptionMinutes / 2.0));
}
