using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Errors;

namespace HaloPortal.Engine.Subscriptions;

/// <summary>A credential's Graph subscription as the screens and the API show it.</summary>
public sealed record SubscriptionView(
    int Id,
    int CredentialId,
    string GraphSubscriptionId,
    string Resource,
    string ChangeType,
    string NotificationUrl,
    DateTimeOffset ExpiresAt,
    SubscriptionStatus Status,
    DateTimeOffset? LastNotificationAt,
    DateTimeOffset CreatedAt,
    int RenewalFailures,
    IReadOnlyList<RenewalView> Renewals)
{
    /// <summary>Something the user should know about how it was created (e.g. the sandbox fallback address), or null.</summary>
    public string? Note { get; init; }
}

/// <summary>One renewal attempt, newest first in <see cref="SubscriptionView.Renewals"/>.</summary>
public sealed record RenewalView(DateTimeOffset At, string Trigger, bool Succeeded, DateTimeOffset? PreviousExpiry, DateTimeOffset? NewExpiry, string? ErrorCode, string? Error);

/// <summary>What asked for a renewal.</summary>
public enum RenewalTrigger
{
    Scheduler,
    Webhook,
    Lifecycle,
    Manual,
}

/// <summary>
/// Graph change-notification subscriptions of Webhooks credentials: create, cancel, renew within 2 days of expiry (while
/// processing a webhook and from the scheduler), and the lifecycle events (reauthorize, recreate, catch up).
/// Graph failures surface as <see cref="Tokens.CredentialException"/> with the catalogued message and fix.
/// </summary>
public interface ISubscriptions
{
    /// <summary>The credential's current subscription (the latest one; cancelled ones only when nothing newer exists), or null.</summary>
    Task<SubscriptionView?> GetAsync(int credentialId, CancellationToken cancellationToken = default);

    /// <summary>Registers a subscription for the credential's mailbox folder, with the longest expiry allowed.</summary>
    /// <exception cref="KeyNotFoundException">No such credential.</exception>
    /// <exception cref="ArgumentException">The credential is not a connected Webhooks credential.</exception>
    /// <exception cref="InvalidOperationException">It already has an active subscription.</exception>
    /// <exception cref="Tokens.CredentialException">No public address, or Graph refused (handshake failure and others).</exception>
    Task<SubscriptionView> CreateAsync(int credentialId, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Deletes the subscription at Graph and marks it cancelled; false when there was none.</summary>
    Task<bool> CancelAsync(int credentialId, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Renews the credential's subscription when it is within the renewal window (2 days) of expiry; failures back off.</summary>
    Task<SubscriptionView?> RenewIfDueAsync(int credentialId, RenewalTrigger trigger, CancellationToken cancellationToken = default);

    /// <summary>Renews every due subscription of this instance (the recurring job).</summary>
    Task<int> RenewAllDueAsync(CancellationToken cancellationToken = default);

    /// <summary>Raised with the credential id after a subscription changed.</summary>
    event Action<int>? Changed;
}
