using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Portal;

namespace HaloPortal.Components.Pages.Configuration.Email.Components;

/// <summary>
/// The credential editor's state: what the user entered, the rules that follow from their choices, and which field
/// errors to show (a field's error appears once it was touched, and every error after a save attempt).
/// </summary>
public sealed class CredentialForm(CredentialInput input, CredentialView? existing, PortalHosting hosting)
{
    /// <summary>The validation keys that have a field on the screen; any other key is shown in the form's alert.</summary>
    public static readonly IReadOnlySet<string> FieldKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "instance", "authMethod", "credentialType", "processingMethod", "authority", "tenantId", "clientId", "clientSecret",
        "secretExpiresAt", "certificate", "certificatePassword", "federatedTokenFile", "emailAddress", "sharedMailbox",
    };

    private readonly HashSet<string> _touched = new(StringComparer.Ordinal);
    private bool _showAll;

    public CredentialInput Input { get; } = input;

    /// <summary>The saved credential when editing; null for a new one.</summary>
    public CredentialView? Existing { get; private set; } = existing;

    public PortalHosting Hosting { get; } = hosting;

    public CredentialValidation Validation { get; private set; } = new();

    /// <summary>What the uploaded certificate turned out to be, before saving.</summary>
    public CertificateInfo? CertificatePreview { get; private set; }

    /// <summary>Why the uploaded file cannot be used (wrong password, no private key...).</summary>
    public string? CertificateError { get; private set; }

    public string? CertificateFileNames { get; private set; }

    public bool IsNew => Existing is null;

    /// <summary>Signed in: nothing may change until it is disconnected.</summary>
    public bool Locked => Existing?.Locked == true;

    /// <summary>Connected: the values naming the mailbox and the app (instance, method, authority, tenant, client, address) are locked until disconnected.</summary>
    public bool ValuesLocked => Existing?.ValuesLocked == true;

    public bool IsAuthorisationCode => Input.AuthMethod == AuthMethod.AuthorizationCode;

    /// <summary>Federated credentials exist on-premises, with client credentials only.</summary>
    public bool FederatedAvailable => Hosting == PortalHosting.OnPremises && Input.AuthMethod == AuthMethod.ClientCredentials;

    public RequiredPermissionSet Permissions => RequiredPermissions.For(
        Input.AuthMethod,
        sharedMailbox: IsAuthorisationCode && !string.IsNullOrWhiteSpace(Input.SharedMailbox),
        Input.ImportContacts,
        usesRbac: !IsAuthorisationCode && Input.UsesRbacForApplications);

    public void SetAuthMethod(AuthMethod method)
    {
        Input.AuthMethod = method;
        if (method == AuthMethod.AuthorizationCode)
        {
            // Delegated sign-ins cannot receive Graph webhooks here: mail is fetched by the scan.
            Input.ProcessingMethod = ProcessingMethod.MailboxScan;
            Input.UsesRbacForApplications = false;
        }

        if (Input.CredentialType == CredentialType.FederatedCredential && !FederatedAvailable)
        {
            Input.CredentialType = CredentialType.ClientSecret;
        }
    }

    public void SetCredentialType(CredentialType type) =>
        Input.CredentialType = type == CredentialType.FederatedCredential && !FederatedAvailable ? CredentialType.ClientSecret : type;

    /// <summary>A copy with the engine's normalisation applied: what is validated and saved.</summary>
    public CredentialInput Snapshot()
    {
        var copy = new CredentialInput
        {
            Instance = Input.Instance,
            AuthMethod = Input.AuthMethod,
            CredentialType = Input.CredentialType,
            ProcessingMethod = Input.ProcessingMethod,
            Authority = Input.Authority,
            TenantId = Input.TenantId,
            ClientId = Input.ClientId,
            ClientSecret = Input.ClientSecret,
            SecretExpiresAt = Input.SecretExpiresAt,
            Certificate = Input.Certificate,
            CertificatePassword = Input.CertificatePassword,
            FederatedTokenFile = Input.FederatedTokenFile,
            EmailAddress = Input.EmailAddress,
            SharedMailbox = Input.SharedMailbox,
            UsesRbacForApplications = Input.UsesRbacForApplications,
            ImportContacts = Input.ImportContacts,
        };
        copy.Normalise(Hosting);
        return copy;
    }

    /// <summary>Checks the current input with the engine's rules (no saving).</summary>
    public void Validate(ICredentials credentials) => Validation = credentials.Validate(Snapshot(), Existing);

    /// <summary>Shows the errors the engine refused a save with, on every field.</summary>
    public void ShowErrors(CredentialValidation validation)
    {
        Validation = validation;
        _showAll = true;
    }

    public void ShowAllErrors() => _showAll = true;

    public void Touch(string field) => _touched.Add(field);

    /// <summary>The message to show under a field, or null.</summary>
    public string? ErrorFor(string field)
    {
        if (field == "certificate" && CertificateError is not null)
        {
            return CertificateError;
        }

        var messages = Validation.For(field);
        return messages.Count > 0 && (_showAll || _touched.Contains(field)) ? string.Join(" ", messages) : null;
    }

    /// <summary>Errors that belong to no field (e.g. "credential": locked), shown above the form.</summary>
    public IEnumerable<string> FormErrors => Validation.Errors
        .Where(e => !FieldKeys.Contains(e.Key) && !(Locked && e.Key == "credential"))
        .SelectMany(e => e.Value);

    /// <summary>Takes the uploaded file(s): a PFX, or PEM certificate and key (two PEM files are joined).</summary>
    public void SetCertificate(byte[]? content, string? fileNames)
    {
        Input.Certificate = content;
        CertificateFileNames = fileNames;
        Touch("certificate");
        ReadCertificate();
    }

    /// <summary>Opens the uploaded certificate with the current password, to show what it is (or why it cannot be used).</summary>
    public void ReadCertificate()
    {
        CertificatePreview = null;
        CertificateError = null;
        if (Input.Certificate is null)
        {
            return;
        }

        try
        {
            CertificatePreview = CertificateReader.Read(Input.Certificate, Input.CertificatePassword);
        }
        catch (ArgumentException ex)
        {
            CertificateError = ex.Message.Replace(" (Parameter 'certificate')", "", StringComparison.Ordinal);
        }
    }

    /// <summary>After a disconnect the saved state changes (unlocked).</summary>
    public void Reload(CredentialView existingCredential) => Existing = existingCredential;
}
