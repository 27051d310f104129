using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Subscriptions;

namespace HaloPortal.Engine.Monitoring;

/// <summary>How one mailbox is doing, from what the engine already records (this instance's credential, its sync state, subscription and emails).</summary>
/// <param name="Connected">Whether this instance has a connected credential for the mailbox (the other values are null or 0 otherwise).</param>
/// <param name="LastSuccessfulRead">When a delta query last read the watched folder to its end; null: never.</param>
/// <param name="LastError">The credential's last failure (cleared by the next successful read); null: none.</param>
/// <param name="ThrottledUntil">Until when Graph asked the portal to wait (429 Retry-After seen by any node, or an email waiting for its retry after throttling); null: not throttled.</param>
/// <param name="Pending">Emails found but not processed yet.</param>
/// <param name="Processing">Emails being processed now (or waiting for a retry after a temporary failure).</param>
/// <param name="SubscriptionExpiresAt">The active webhook subscription's expiry; null: no subscription (always the case for Mailbox scan).</param>
/// <param name="CredentialExpiresAt">When the client secret or certificate expires; null: unknown or not applicable.</param>
/// <param name="LastResyncAt">When the watched folder was last resynced from scratch because Graph had dropped its delta sync state (410 SyncStateNotFound); null: never.</param>
/// <param name="LastResyncNote">What that resync found (or that it stopped before its end and continues at the next scan); null: never resynced.</param>
/// <param name="LastWebhookRead">When a message a webhook notified was last read from Graph (recorded at most every 30 seconds); null: never. With webhooks
/// this moves with the mail, while <paramref name="LastSuccessfulRead"/> moves only with the rare full reads of the folder (catch-up scans).</param>
public sealed record MailboxHealthView(
    int MailboxId,
    string Name,
    bool IncomingEnabled,
    bool Connected,
    string? Address,
    CredentialStatus? CredentialStatus,
    ProcessingMethod? ProcessingMethod,
    DateTimeOffset? LastSuccessfulRead,
    MailboxHealthError? LastError,
    DateTimeOffset? ThrottledUntil,
    int Pending,
    int Processing,
    DateTimeOffset? SubscriptionExpiresAt,
    SubscriptionStatus? SubscriptionStatus,
    DateTimeOffset? CredentialExpiresAt,
    CredentialType? CredentialType,
    DateTimeOffset? LastResyncAt,
    string? LastResyncNote,
    DateTimeOffset? LastWebhookRead);

/// <summary>A recorded failure: its catalogue code and message.</summary>
public sealed record MailboxHealthError(string Code, string Message, DateTimeOffset? At);

/// <summary>Per-mailbox health for the Monitoring card and <c>/health/detail</c>.</summary>
public interface IMailboxHealth
{
    /// <summary>Every mailbox, ordered by name.</summary>
    Task<IReadOnlyList<MailboxHealthView>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>One mailbox, or null when it does not exist.</summary>
    Task<MailboxHealthView?> GetAsync(int mailboxId, CancellationToken cancellationToken = default);
}
