using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Portal;

namespace HaloPortal.Engine.Credentials;

/// <summary>A credential as screens and the API see it: every setting, its state, and never a secret.</summary>
public sealed record CredentialView(
    int Id,
    int MailboxId,
    PortalInstance Instance,
    AuthMethod AuthMethod,
    CredentialType CredentialType,
    ProcessingMethod ProcessingMethod,
    GraphAuthority Authority,
    string TenantId,
    string ClientId,
    bool HasClientSecret,
    DateTimeOffset? SecretExpiresAt,
    string? CertificateThumbprint,
    string? CertificateSubject,
    DateTimeOffset? CertificateExpiresAt,
    string? FederatedTokenFile,
    string? EmailAddress,
    string? SharedMailbox,
    bool UsesRbacForApplications,
    bool ImportContacts,
    CredentialStatus Status,
    string? ConnectedAddress,
    string? ConnectedDisplayName,
    DateTimeOffset? ConnectedAt,
    DateTimeOffset? LastCheckedAt,
    KnownError? LastError,
    DateTimeOffset? LastErrorAt,
    bool ProcessedHere,
    bool Locked,
    RequiredPermissionSet RequiredPermissions,
    ConnectionState Connection,
    bool ValuesLocked,
    DateTimeOffset? DisconnectedAt)
{
    internal static CredentialView From(MailboxCredential c, PortalInstance here) => new(
        c.Id, c.MailboxId, c.Instance, c.AuthMethod, c.CredentialType, c.ProcessingMethod, c.Authority, c.TenantId, c.ClientId,
        c.ClientSecretProtected is not null, c.SecretExpiresAt, c.CertificateThumbprint, c.CertificateSubject, c.CertificateExpiresAt,
        c.FederatedTokenFile, c.EmailAddress, c.SharedMailbox, c.UsesRbacForApplications, c.ImportContacts,
        c.Status, c.ConnectedAddress, c.ConnectedDisplayName, c.ConnectedAt, c.LastCheckedAt,
        LastErrorOf(c),
        c.LastErrorAt,
        c.Instance == here,
        IsLocked(c),
        Credentials.RequiredPermissions.For(c.AuthMethod, !string.IsNullOrWhiteSpace(c.SharedMailbox), c.ImportContacts, c.UsesRbacForApplications),
        ConnectionStates.Of(c),
        AreValuesLocked(c),
        c.DisconnectedAt);

    /// <summary>The catalogued error with the message recorded when it happened (often more specific than the catalogue's).</summary>
    private static KnownError? LastErrorOf(MailboxCredential c) => c.LastErrorCode is null
        ? null
        : KnownErrors.Find(c.LastErrorCode) is { } known
            ? string.IsNullOrEmpty(c.LastErrorMessage) ? known : known with { Message = c.LastErrorMessage }
            : KnownErrors.Unknown(c.LastErrorCode, c.LastErrorMessage ?? "");

    /// <summary>A signed-in delegated credential is locked until it is disconnected, so the connected mailbox cannot silently change.</summary>
    internal static bool IsLocked(MailboxCredential c) =>
        c.AuthMethod == AuthMethod.AuthorizationCode && c.Status is CredentialStatus.Connected or CredentialStatus.Failing && c.HomeAccountId is not null;

    /// <summary>
    /// The values that say which mailbox is read through which app are locked while connected: authorisation code once signed in
    /// (everything, see <see cref="IsLocked"/>), client credentials once a call reached the mailbox (instance, authority, tenant,
    /// app and address; the secret or certificate can still be replaced). Disconnect unlocks them.
    /// </summary>
    internal static bool AreValuesLocked(MailboxCredential c) => IsLocked(c) ||
        (c.AuthMethod == AuthMethod.ClientCredentials && c.ConnectedAddress is not null && c.DisconnectedAt is null);

    /// <summary>The settings without secrets, for the audit log.</summary>
    internal static object AuditSnapshot(MailboxCredential c) => new
    {
        c.Instance, c.AuthMethod, c.CredentialType, c.ProcessingMethod, c.Authority, c.TenantId, c.ClientId,
        ClientSecret = c.ClientSecretProtected is null ? null : "(set)",
        c.SecretExpiresAt, c.CertificateThumbprint, c.CertificateExpiresAt, c.FederatedTokenFile,
        c.EmailAddress, c.SharedMailbox, c.UsesRbacForApplications, c.ImportContacts, c.Status, c.ConnectedAddress, c.DisconnectedAt,
    };
}
