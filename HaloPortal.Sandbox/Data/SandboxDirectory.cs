namespace HaloPortal.Sandbox.Data;

/// <summary>An Entra tenant of the sandbox. Its token-signing certificate (with private key) is kept encrypted with Data Protection.</summary>
internal sealed class SbTenant
{
    public Guid Id { get; set; }
    public required string DisplayName { get; set; }
    public required string DefaultDomain { get; set; }
    public bool ThrottlingEnabled { get; set; } = true;
    public required string ProtectedSigningCertificate { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class SbUser
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string UserPrincipalName { get; set; }
    public required string DisplayName { get; set; }
    public string? PasswordHash { get; set; }
    public SandboxMailboxType MailboxType { get; set; }
    /// <summary>Tokens and grants issued before this instant are revoked (password reset, "revoke sessions").</summary>
    public DateTimeOffset TokensValidFrom { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A Full Access delegate of a mailbox.</summary>
internal sealed class SbMailboxDelegate
{
    public Guid MailboxId { get; set; }
    public Guid DelegateId { get; set; }
}

internal sealed class SbApplication
{
    /// <summary>The object id.</summary>
    public Guid Id { get; set; }
    public Guid AppId { get; set; }
    public Guid TenantId { get; set; }
    public required string DisplayName { get; set; }
    public List<string> RedirectUris { get; set; } = [];
    public List<string> ApplicationPermissions { get; set; } = [];
    public List<string> DelegatedPermissions { get; set; } = [];
    public bool AdminConsent { get; set; }
    public bool AllowPublicClient { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class SbSecret
{
    /// <summary>The secret's ID (keyId) — what people paste by mistake instead of the value.</summary>
    public Guid Id { get; set; }
    public Guid ApplicationId { get; set; }
    public required string DisplayName { get; set; }
    public required string Hint { get; set; }
    public required string ValueHash { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class SbCertificate
{
    public Guid Id { get; set; }
    public Guid ApplicationId { get; set; }
    /// <summary>SHA-1 thumbprint, upper-case hex.</summary>
    public required string Thumbprint { get; set; }
    /// <summary>SHA-256 thumbprint, upper-case hex.</summary>
    public required string ThumbprintSha256 { get; set; }
    public required byte[] RawData { get; set; }
    public DateTimeOffset NotBefore { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class SbFederatedCredential
{
    public Guid Id { get; set; }
    public Guid ApplicationId { get; set; }
    public required string Name { get; set; }
    public required string Issuer { get; set; }
    public required string Subject { get; set; }
    public List<string> Audiences { get; set; } = [];
    /// <summary>The issuer's signing keys as a JWKS document; when empty the issuer's OpenID metadata is fetched.</summary>
    public string? JwksJson { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>An Exchange application access policy (RestrictAccess): the app reaches only the listed mailboxes.</summary>
internal sealed class SbAccessPolicy
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid AppId { get; set; }
    public List<string> AllowedMailboxes { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A user's consent to an app's delegated scopes.</summary>
internal sealed class SbGrant
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid AppId { get; set; }
    public Guid UserId { get; set; }
    public List<string> Scopes { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class SbAuthCode
{
    /// <summary>SHA-256 of the code.</summary>
    public required string Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid AppId { get; set; }
    public Guid UserId { get; set; }
    public required string RedirectUri { get; set; }
    public required string Resource { get; set; }
    public List<string> Scopes { get; set; } = [];
    public string? CodeChallenge { get; set; }
    public string? CodeChallengeMethod { get; set; }
    public string? Nonce { get; set; }
    public DateTimeOffset IssuedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? RedeemedAt { get; set; }
}

internal sealed class SbRefreshToken
{
    /// <summary>SHA-256 of the token.</summary>
    public required string Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid AppId { get; set; }
    public Guid UserId { get; set; }
    public required string Resource { get; set; }
    public List<string> Scopes { get; set; } = [];
    public DateTimeOffset IssuedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>The demo tenant seeded on first start; the secret value and password are encrypted with Data Protection.</summary>
internal sealed class SbDemo
{
    public int Id { get; set; } = 1;
    public Guid TenantId { get; set; }
    public Guid AppId { get; set; }
    public Guid SecretId { get; set; }
    public required string ProtectedSecretValue { get; set; }
    public DateTimeOffset SecretExpiresAt { get; set; }
    public required string UserPrincipalName { get; set; }
    public required string ProtectedPassword { get; set; }
    public required string SharedMailbox { get; set; }
}
