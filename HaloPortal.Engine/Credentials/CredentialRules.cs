using System.Net.Mail;
using System.Text.RegularExpressions;
using HaloPortal.Engine.Portal;

namespace HaloPortal.Engine.Credentials;

/// <summary>The outcome of checking a credential: errors per field (camelCase names, as the API reports them) and warnings.</summary>
public sealed class CredentialValidation
{
    public Dictionary<string, List<string>> Errors { get; } = new(StringComparer.Ordinal);

    public List<string> Warnings { get; } = [];

    public bool IsValid => Errors.Count == 0;

    internal void Add(string field, string message)
    {
        if (!Errors.TryGetValue(field, out var list))
        {
            Errors[field] = list = [];
        }

        list.Add(message);
    }

    public IReadOnlyList<string> For(string field) => Errors.TryGetValue(field, out var list) ? list : [];
}

/// <summary>Every rule of the credential editor, in one place for the screen and the API.</summary>
public static partial class CredentialRules
{
    public static readonly TimeSpan ExpiryWarningWindow = TimeSpan.FromDays(30);

    /// <summary>What a pasted secret ID looks like: Azure shows secret IDs as GUIDs, while values are 40 characters with a '~'.</summary>
    public static bool LooksLikeSecretId(string? value) => value is not null && Guid.TryParse(value.Trim(), out _);

    public const string SecretIdMessage =
        "This looks like the secret ID. In Azure (App registrations > Certificates & secrets) copy the secret's Value — it is shown only once, when the secret is created — not its Secret ID.";

    /// <param name="authorityRefusal">Why the chosen authority cannot be used on this portal now (<see cref="IAuthorities.RefusalOf"/>), or null.</param>
    /// <param name="federatedTokenDirectory">The folder federated token files must be in (<see cref="FederatedTokenFiles"/>); null skips the check.</param>
    public static CredentialValidation Validate(CredentialInput input, PortalHosting hosting, bool hasStoredSecret, bool hasStoredCertificate, DateTimeOffset now,
        string? authorityRefusal = null, string? federatedTokenDirectory = null)
    {
        var result = new CredentialValidation();
        if (authorityRefusal is not null)
        {
            result.Add("authority", authorityRefusal);
        }

        if (string.IsNullOrWhiteSpace(input.TenantId))
        {
            result.Add("tenantId", "Enter the Directory (tenant) ID from the app registration's Overview page.");
        }
        else if (!Guid.TryParse(input.TenantId, out _) && !DomainPattern().IsMatch(input.TenantId))
        {
            result.Add("tenantId", "Enter the Directory (tenant) ID as a GUID, or a verified domain such as contoso.onmicrosoft.com.");
        }
        else if (input.TenantId is "common" or "organizations" or "consumers")
        {
            result.Add("tenantId", "Multi-tenant authorities are not supported: enter your own tenant's ID (the app must be single-tenant).");
        }

        if (string.IsNullOrWhiteSpace(input.ClientId))
        {
            result.Add("clientId", "Enter the Application (client) ID from the app registration's Overview page.");
        }
        else if (!Guid.TryParse(input.ClientId, out _))
        {
            result.Add("clientId", "The Application (client) ID is a GUID, e.g. 2f6a5c1e-8d4b-4b8f-9a57-3c1d2e4f5a6b.");
        }

        if (input.AuthMethod == AuthMethod.AuthorizationCode && input.ProcessingMethod == ProcessingMethod.Webhooks)
        {
            result.Add("processingMethod", "Authorisation code processes mail by Mailbox scan only; choose Client credentials for webhooks.");
        }

        if (input.CredentialType == CredentialType.FederatedCredential)
        {
            if (hosting != PortalHosting.OnPremises)
            {
                result.Add("credentialType", "Federated credentials are available on on-premises installations only; use a client secret or a certificate.");
            }
            else if (input.AuthMethod != AuthMethod.ClientCredentials)
            {
                result.Add("credentialType", "Federated credentials work with Client credentials only.");
            }
            else if (string.IsNullOrWhiteSpace(input.FederatedTokenFile))
            {
                result.Add("federatedTokenFile", "Enter the path of the file that holds the signed client assertion (the federated token).");
            }
            else if (federatedTokenDirectory is not null && FederatedTokenFiles.Problem(input.FederatedTokenFile, federatedTokenDirectory) is { } problem)
            {
                result.Add("federatedTokenFile", problem);
            }
        }

        if (input.CredentialType == CredentialType.ClientSecret)
        {
            if (string.IsNullOrEmpty(input.ClientSecret))
            {
                if (!hasStoredSecret)
                {
                    result.Add("clientSecret", "Paste the client secret's Value from App registrations > Certificates & secrets.");
                }
            }
            else if (LooksLikeSecretId(input.ClientSecret))
            {
                result.Add("clientSecret", SecretIdMessage);
            }

            if (input.SecretExpiresAt is null)
            {
                result.Add("secretExpiresAt", "Enter the date the secret expires (the Expires column under App registrations > Certificates & secrets; " +
                    "Azure suggests 180 days), so the portal can warn you 30, 7 and 1 days before mail stops.");
            }

            CheckExpiry(result, "secretExpiresAt", "client secret", input.SecretExpiresAt, now);
        }

        if (input.CredentialType == CredentialType.Certificate && input.Certificate is null && !hasStoredCertificate)
        {
            result.Add("certificate", "Upload the certificate with its private key (PFX with its password, or PEM).");
        }

        if (input.AuthMethod == AuthMethod.ClientCredentials)
        {
            if (string.IsNullOrWhiteSpace(input.EmailAddress))
            {
                result.Add("emailAddress", "Enter the address of the licensed or shared mailbox to process.");
            }
            else if (!IsEmail(input.EmailAddress))
            {
                result.Add("emailAddress", "Enter a full email address, e.g. support@contoso.com.");
            }
        }
        else if (!string.IsNullOrWhiteSpace(input.SharedMailbox) && !IsEmail(input.SharedMailbox))
        {
            result.Add("sharedMailbox", "Enter the shared mailbox's full address, or leave it blank to process the signing-in user's own mailbox.");
        }

        return result;
    }

    /// <summary>Adds the warning (or error, when already past) for a secret or certificate expiry.</summary>
    public static void CheckExpiry(CredentialValidation result, string field, string what, DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        if (expiresAt is not { } expiry)
        {
            return;
        }

        if (expiry <= now)
        {
            result.Add(field, $"This {what} expired on {expiry:yyyy-MM-dd}. Create a new one in Azure and enter it here.");
        }
        else if (expiry - now <= ExpiryWarningWindow)
        {
            result.Warnings.Add($"The {what} expires on {expiry:yyyy-MM-dd} ({Math.Ceiling((expiry - now).TotalDays)} days). Create a new one in Azure before then.");
        }
    }

    public static bool IsEmail(string value) =>
        MailAddress.TryCreate(value.Trim(), out var address) && address.Address.Equals(value.Trim(), StringComparison.OrdinalIgnoreCase) && address.Host.Contains('.');

    [GeneratedRegex(@"^(?=.{4,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$")]
    private static partial Regex DomainPattern();
}
