using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Credentials;

/// <summary>
/// One set of credentials of a mailbox, for one instance (Production, UAT, Dev). Secrets, certificates and token caches are
/// stored encrypted with ASP.NET Core Data Protection and never leave the engine.
/// </summary>
public sealed class MailboxCredential
{
    public int Id { get; set; }

    public int MailboxId { get; set; }

    public PortalInstance Instance { get; set; } = PortalInstance.Production;

    public AuthMethod AuthMethod { get; set; } = AuthMethod.ClientCredentials;

    public CredentialType CredentialType { get; set; } = CredentialType.ClientSecret;

    public ProcessingMethod ProcessingMethod { get; set; } = ProcessingMethod.Webhooks;

    public GraphAuthority Authority { get; set; } = GraphAuthority.Global;

    /// <summary>Directory (tenant) ID: a GUID or a verified domain.</summary>
    public string TenantId { get; set; } = "";

    /// <summary>Application (client) ID.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The client secret value, encrypted.</summary>
    public string? ClientSecretProtected { get; set; }

    public DateTimeOffset? SecretExpiresAt { get; set; }

    /// <summary>The certificate with its private key as PKCS#12, encrypted.</summary>
    public string? CertificateProtected { get; set; }

    public string? CertificateThumbprint { get; set; }

    public string? CertificateSubject { get; set; }

    public DateTimeOffset? CertificateExpiresAt { get; set; }

    /// <summary>Federated credential: the file holding the signed client assertion (on-premises only).</summary>
    public string? FederatedTokenFile { get; set; }

    /// <summary>Client credentials: the licensed or shared mailbox to read (its owner's UPN must match).</summary>
    public string? EmailAddress { get; set; }

    /// <summary>Authorisation code: the shared mailbox to read with the signed-in delegate's rights (blank: the delegate's own mailbox).</summary>
    public string? SharedMailbox { get; set; }

    /// <summary>Client credentials: access is granted by RBAC for Applications in Exchange Online, so no Graph permission is needed.</summary>
    public bool UsesRbacForApplications { get; set; }

    /// <summary>Outlook contacts are imported through this connection (adds Contacts.Read to the required permissions).</summary>
    public bool ImportContacts { get; set; }

    public CredentialStatus Status { get; set; } = CredentialStatus.NotConnected;

    /// <summary>The address actually connected (after a successful test or sign-in).</summary>
    public string? ConnectedAddress { get; set; }

    public string? ConnectedDisplayName { get; set; }

    public DateTimeOffset? ConnectedAt { get; set; }

    /// <summary>When an administrator disconnected the credential (null once a test or sign-in connects it again): no mail is read.</summary>
    public DateTimeOffset? DisconnectedAt { get; set; }

    /// <summary>Authorisation code: MSAL's token cache (with the rotating refresh token), encrypted.</summary>
    public string? TokenCacheProtected { get; set; }

    /// <summary>Authorisation code: MSAL's account identifier of the signed-in delegate.</summary>
    public string? HomeAccountId { get; set; }

    public DateTimeOffset? LastCheckedAt { get; set; }

    /// <summary>The catalogued error code of the last failure (see <c>KnownErrors</c>), null when healthy.</summary>
    public string? LastErrorCode { get; set; }

    public string? LastErrorMessage { get; set; }

    public DateTimeOffset? LastErrorAt { get; set; }

    /// <summary>When a webhook-notified message was last read from Graph (written at most every 30 seconds); null: never.</summary>
    public DateTimeOffset? LastWebhookReadAt { get; set; }

    /// <summary>
    /// The end of the latest Retry-After Graph answered a request for this credential's mailbox with (429), as any node saw it:
    /// the Monitoring card's "throttled until" is the same whichever node serves it. Only ever moved later.
    /// </summary>
    public DateTimeOffset? ThrottledUntil { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary>Forgets what a test or sign-in verified (status, connected address, last error): it no longer holds.</summary>
    internal void ForgetConnection()
    {
        Status = CredentialStatus.NotConnected;
        ConnectedAddress = null;
        ConnectedDisplayName = null;
        ConnectedAt = null;
        LastErrorCode = null;
        LastErrorMessage = null;
        LastErrorAt = null;
    }

    /// <summary>The mailbox address the engine reads: the configured address, or for a delegate's own mailbox the connected one.</summary>
    public string? TargetAddress => AuthMethod == AuthMethod.ClientCredentials
        ? EmailAddress
        : string.IsNullOrWhiteSpace(SharedMailbox) ? ConnectedAddress : SharedMailbox;
}

/// <summary>Authorisation code uses delegated permissions; client credentials application permissions.</summary>
public enum AuthMethod
{
    ClientCredentials,
    AuthorizationCode,
}

public enum CredentialType
{
    ClientSecret,
    Certificate,
    FederatedCredential,
}

public enum ProcessingMethod
{
    MailboxScan,
    Webhooks,
}

/// <summary>The Microsoft cloud a credential signs in to, or the built-in sandbox tenant.</summary>
public enum GraphAuthority
{
    Global,
    UsGovL4,
    UsGovL5,
    China,
    Sandbox,
}

public enum CredentialStatus
{
    NotConnected,
    Connected,
    NeedsReauthorisation,
    Failing,
}

internal sealed class MailboxCredentialConfiguration : IEntityTypeConfiguration<MailboxCredential>
{
    public void Configure(EntityTypeBuilder<MailboxCredential> builder)
    {
        builder.ToTable("MailboxCredentials");
        builder.Property(c => c.Instance).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.AuthMethod).HasConversion<string>().HasMaxLength(32);
        builder.Property(c => c.CredentialType).HasConversion<string>().HasMaxLength(32);
        builder.Property(c => c.ProcessingMethod).HasConversion<string>().HasMaxLength(32);
        builder.Property(c => c.Authority).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.Status).HasConversion<string>().HasMaxLength(32);
        builder.Property(c => c.TenantId).HasMaxLength(256);
        builder.Property(c => c.ClientId).HasMaxLength(64);
        builder.Property(c => c.CertificateThumbprint).HasMaxLength(64);
        builder.Property(c => c.CertificateSubject).HasMaxLength(512);
        builder.Property(c => c.FederatedTokenFile).HasMaxLength(1024);
        builder.Property(c => c.EmailAddress).HasMaxLength(320);
        builder.Property(c => c.SharedMailbox).HasMaxLength(320);
        builder.Property(c => c.ConnectedAddress).HasMaxLength(320);
        builder.Property(c => c.ConnectedDisplayName).HasMaxLength(256);
        builder.Property(c => c.HomeAccountId).HasMaxLength(256);
        builder.Property(c => c.LastErrorCode).HasMaxLength(64);
        builder.Ignore(c => c.TargetAddress);
        builder.HasIndex(c => new { c.MailboxId, c.Instance }).IsUnique();
    }
}
