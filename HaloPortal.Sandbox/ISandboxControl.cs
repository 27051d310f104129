using System.Text.Json;

namespace HaloPortal.Sandbox;

/// <summary>
/// Sets up and inspects the sandbox tenant: what the control API (<c>/sandbox/api</c>) and the Sandbox screen call.
/// Registered only while the sandbox is enabled (resolve it with <c>GetService</c> where that may not be the case).
/// Bad input throws <see cref="ArgumentException"/> (naming the field); unknown tenants, apps, mailboxes or subscriptions
/// throw <see cref="SandboxNotFoundException"/>.
/// </summary>
public interface ISandboxControl
{
    Task<IReadOnlyList<SandboxTenantInfo>> ListTenantsAsync(CancellationToken cancellationToken = default);

    Task<SandboxTenantInfo> CreateTenantAsync(string displayName, string defaultDomain, CancellationToken cancellationToken = default);

    /// <summary>Turns Graph's per app+mailbox limits (10,000 requests / 10 min, 4 concurrent) on or off for a tenant.</summary>
    Task SetThrottlingAsync(string tenant, bool enabled, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SandboxUserInfo>> ListUsersAsync(string tenant, CancellationToken cancellationToken = default);

    Task<SandboxUserInfo> CreateUserAsync(string tenant, SandboxNewUser user, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SandboxApplicationInfo>> ListApplicationsAsync(string tenant, CancellationToken cancellationToken = default);

    Task<SandboxApplicationInfo> CreateApplicationAsync(string tenant, SandboxNewApplication application, CancellationToken cancellationToken = default);

    /// <summary>Adds a client secret; the value is returned here once and only its hash is kept.</summary>
    Task<SandboxSecretCreated> AddSecretAsync(string tenant, Guid appId, string? displayName, DateTimeOffset? expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Registers a certificate (base64 DER or PEM, public part only) and returns its SHA-1 thumbprint.</summary>
    Task<string> AddCertificateAsync(string tenant, Guid appId, string certificate, CancellationToken cancellationToken = default);

    Task<Guid> AddFederatedCredentialAsync(string tenant, Guid appId, SandboxNewFederatedCredential credential, CancellationToken cancellationToken = default);

    /// <summary>Restricts an app to the listed mailboxes (an application access policy); others answer "Access to OData is disabled.".</summary>
    Task SetAccessPolicyAsync(string tenant, Guid appId, IReadOnlyList<string> allowedMailboxes, CancellationToken cancellationToken = default);

    /// <summary>Every user with a mailbox, in one tenant or all.</summary>
    Task<IReadOnlyList<SandboxMailboxInfo>> ListMailboxesAsync(string? tenant = null, CancellationToken cancellationToken = default);

    /// <summary>The folders of a mailbox (well-known and created ones, e.g. the portal's <c>Processed</c>) with their message counts.</summary>
    Task<IReadOnlyList<SandboxFolderInfo>> ListFoldersAsync(string mailbox, CancellationToken cancellationToken = default);

    /// <summary>The messages of a folder (well-known name like <c>inbox</c>, or a folder id), newest first.</summary>
    Task<IReadOnlyList<SandboxMessageInfo>> ListMessagesAsync(string mailbox, string folder, CancellationToken cancellationToken = default);

    /// <summary>Delivers a raw RFC 822 message into a mailbox folder (inbox by default), as a mail server would; subscriptions are notified.</summary>
    Task<SandboxDeliveredMessage> DeliverMimeAsync(string mailbox, Stream mime, string? folder = null, CancellationToken cancellationToken = default);

    /// <summary>Adds Graph <c>contact</c> resources (an object or an array of them) to a mailbox's contacts.</summary>
    Task<IReadOnlyList<string>> AddContactsAsync(string mailbox, JsonElement contacts, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SandboxSubscriptionInfo>> ListSubscriptionsAsync(CancellationToken cancellationToken = default);

    /// <summary>Sends a lifecycle notification (<c>subscriptionRemoved</c> also removes the subscription).</summary>
    Task TriggerLifecycleEventAsync(Guid subscriptionId, SandboxLifecycleEvent lifecycleEvent, CancellationToken cancellationToken = default);

    Task<Guid> AddFaultAsync(SandboxFaultRequest fault, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SandboxFaultInfo>> ListFaultsAsync(CancellationToken cancellationToken = default);

    Task ClearFaultsAsync(CancellationToken cancellationToken = default);
}

/// <summary>The demo tenant seeded on first start, with the credentials to connect a portal mailbox to it.</summary>
public interface ISandboxDemo
{
    /// <summary>Null until the seed ran (or when seeding is switched off).</summary>
    Task<SandboxDemoTenant?> GetAsync(CancellationToken cancellationToken = default);
}

public sealed record SandboxDemoTenant(
    Guid TenantId,
    string DefaultDomain,
    Guid AppId,
    string ClientSecret,
    DateTimeOffset ClientSecretExpiresAt,
    string UserPrincipalName,
    string UserPassword,
    string SharedMailbox)
{
    /// <summary>The MSAL authority of the demo tenant.</summary>
    public string Authority => SandboxHosts.Authority(TenantId.ToString());
}

public enum SandboxMailboxType
{
    /// <summary>A licensed user with a mailbox; can sign in.</summary>
    Licensed,
    /// <summary>A shared mailbox; cannot sign in, reached through Full Access delegates or application permissions.</summary>
    Shared,
    Room,
    Equipment,
    /// <summary>A user without an Exchange Online mailbox (Graph answers MailboxNotEnabledForRESTAPI).</summary>
    None,
}

public enum SandboxFaultKind
{
    /// <summary>Graph answers 429 ApplicationThrottled with Retry-After.</summary>
    Throttle,
    /// <summary>Graph answers the given status (503 by default).</summary>
    FailRequests,
    /// <summary>Change notifications are held back by delaySeconds.</summary>
    DelayNotifications,
    /// <summary>Change notifications are not sent.</summary>
    DropNotifications,
    /// <summary>Refresh tokens issued so far are revoked (invalid_grant), once, when the fault is added.</summary>
    RevokeGrants,
    /// <summary>
    /// The mailbox's delta sync state expires: the next use of a delta link (one with a <c>$deltatoken</c>; <c>count</c> uses,
    /// default 1) answers 410 Gone with Graph's <c>SyncStateNotFound</c> error. A delta query without a token still works.
    /// </summary>
    ExpireDeltaTokens,
}

public enum SandboxLifecycleEvent
{
    ReauthorizationRequired,
    SubscriptionRemoved,
    Missed,
}

public sealed record SandboxTenantInfo(Guid TenantId, string DisplayName, string DefaultDomain, bool ThrottlingEnabled)
{
    /// <summary>429 answers the tenant's Graph callers received since the sandbox started (its limits and injected Throttle faults).</summary>
    public long ThrottledResponses { get; init; }
}

public sealed record SandboxNewUser(
    string UserPrincipalName,
    string? DisplayName,
    string? Password,
    SandboxMailboxType MailboxType = SandboxMailboxType.Licensed,
    IReadOnlyList<string>? Delegates = null);

public sealed record SandboxUserInfo(Guid Id, string UserPrincipalName, string DisplayName, SandboxMailboxType MailboxType, IReadOnlyList<string> Delegates);

public sealed record SandboxNewApplication(
    string DisplayName,
    IReadOnlyList<string>? RedirectUris = null,
    IReadOnlyList<string>? ApplicationPermissions = null,
    IReadOnlyList<string>? DelegatedPermissions = null,
    bool AdminConsent = false,
    bool AllowPublicClient = false);

public sealed record SandboxSecretInfo(Guid SecretId, string DisplayName, string Hint, DateTimeOffset ExpiresAt);

public sealed record SandboxApplicationInfo(
    Guid AppId,
    Guid Id,
    string DisplayName,
    IReadOnlyList<string> RedirectUris,
    IReadOnlyList<string> ApplicationPermissions,
    IReadOnlyList<string> DelegatedPermissions,
    bool AdminConsent,
    IReadOnlyList<SandboxSecretInfo> Secrets,
    IReadOnlyList<string> CertificateThumbprints,
    IReadOnlyList<string>? AllowedMailboxes);

public sealed record SandboxSecretCreated(Guid SecretId, string SecretValue, DateTimeOffset ExpiresAt);

public sealed record SandboxNewFederatedCredential(
    string Name,
    string Issuer,
    string Subject,
    IReadOnlyList<string>? Audiences = null,
    string? Jwks = null);

public sealed record SandboxMailboxInfo(Guid TenantId, Guid UserId, string Address, string DisplayName, SandboxMailboxType MailboxType, int InboxCount, int UnreadCount);

/// <summary>A mail folder; <paramref name="WellKnownName"/> is null for folders created by a client.</summary>
public sealed record SandboxFolderInfo(string Id, string DisplayName, string? WellKnownName, int TotalCount, int UnreadCount);

public sealed record SandboxMessageInfo(string Id, string Subject, string? InternetMessageId, bool IsRead, string? From, DateTimeOffset ReceivedDateTime);

public sealed record SandboxDeliveredMessage(string Id, string? InternetMessageId);

public sealed record SandboxSubscriptionInfo(
    Guid Id,
    Guid TenantId,
    Guid AppId,
    string Resource,
    string ChangeType,
    string NotificationUrl,
    string? LifecycleNotificationUrl,
    DateTimeOffset ExpirationDateTime,
    int DeliveredCount,
    int SlowCount,
    int FailedCount,
    int PendingCount);

public sealed record SandboxFaultRequest(
    string? Mailbox,
    SandboxFaultKind Kind,
    int? Status = null,
    int? Count = null,
    int? RetryAfterSeconds = null,
    int? DelaySeconds = null);

public sealed record SandboxFaultInfo(Guid Id, string? Mailbox, SandboxFaultKind Kind, int? Status, int? Remaining, int? RetryAfterSeconds, int? DelaySeconds);

/// <summary>A tenant, application, mailbox or subscription the sandbox does not know.</summary>
public sealed class SandboxNotFoundException(string message) : Exception(message);
