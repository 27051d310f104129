using HaloPortal.Engine.Portal;

namespace HaloPortal.Engine.Credentials;

/// <summary>What an administrator enters for a credential (the editor and the API bind to this).</summary>
public sealed class CredentialInput
{
    public PortalInstance Instance { get; set; } = PortalInstance.Production;

    public AuthMethod AuthMethod { get; set; } = AuthMethod.ClientCredentials;

    public CredentialType CredentialType { get; set; } = CredentialType.ClientSecret;

    public ProcessingMethod ProcessingMethod { get; set; } = ProcessingMethod.Webhooks;

    public GraphAuthority Authority { get; set; } = GraphAuthority.Global;

    public string? TenantId { get; set; }

    public string? ClientId { get; set; }

    /// <summary>The secret's Value. Blank on edit keeps the stored secret.</summary>
    public string? ClientSecret { get; set; }

    public DateTimeOffset? SecretExpiresAt { get; set; }

    /// <summary>A PFX (PKCS#12) or PEM certificate with its private key. Null on edit keeps the stored certificate.</summary>
    public byte[]? Certificate { get; set; }

    public string? CertificatePassword { get; set; }

    public string? FederatedTokenFile { get; set; }

    public string? EmailAddress { get; set; }

    public string? SharedMailbox { get; set; }

    public bool UsesRbacForApplications { get; set; }

    public bool ImportContacts { get; set; }

    /// <summary>Applies the rules that follow from other choices (authorisation code forces Mailbox scan, and so on).</summary>
    public void Normalise(PortalHosting hosting)
    {
        if (AuthMethod == AuthMethod.AuthorizationCode)
        {
            ProcessingMethod = ProcessingMethod.MailboxScan;
            UsesRbacForApplications = false;
            EmailAddress = null;
            if (CredentialType == CredentialType.FederatedCredential)
            {
                CredentialType = CredentialType.ClientSecret;
            }
        }
        else
        {
            SharedMailbox = null;
        }

        if (CredentialType == CredentialType.FederatedCredential && hosting != PortalHosting.OnPremises)
        {
            CredentialType = CredentialType.ClientSecret;
        }

        TenantId = TenantId?.Trim();
        ClientId = ClientId?.Trim();
        ClientSecret = string.IsNullOrEmpty(ClientSecret) ? null : ClientSecret.Trim();
        EmailAddress = string.IsNullOrWhiteSpace(EmailAddress) ? null : EmailAddress.Trim();
        SharedMailbox = string.IsNullOrWhiteSpace(SharedMailbox) ? null : SharedMailbox.Trim();
        FederatedTokenFile = string.IsNullOrWhiteSpace(FederatedTokenFile) ? null : FederatedTokenFile.Trim();
    }

    /// <summary>The editable settings of a stored credential (secrets are never copied back).</summary>
    public static CredentialInput From(MailboxCredential c) => From(CredentialView.From(c, c.Instance));

    /// <summary>The editable settings of a credential as screens see it (secrets are never copied back).</summary>
    public static CredentialInput From(CredentialView c) => new()
    {
        Instance = c.Instance,
        AuthMethod = c.AuthMethod,
        CredentialType = c.CredentialType,
        ProcessingMethod = c.ProcessingMethod,
        Authority = c.Authority,
        TenantId = c.TenantId,
        ClientId = c.ClientId,
        SecretExpiresAt = c.SecretExpiresAt,
        FederatedTokenFile = c.FederatedTokenFile,
        EmailAddress = c.EmailAddress,
        SharedMailbox = c.SharedMailbox,
        UsesRbacForApplications = c.UsesRbacForApplications,
        ImportContacts = c.ImportContacts,
    };
}
