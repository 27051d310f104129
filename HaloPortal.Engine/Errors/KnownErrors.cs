using System.Text.RegularExpressions;

namespace HaloPortal.Engine.Errors;

/// <summary>A failure the product recognises, in plain words, with what to do about it.</summary>
/// <param name="Code">The stable catalogue code (e.g. <c>AADSTS7000215</c>, <c>ErrorAccessDenied</c>).</param>
/// <param name="Title">A short name for the problem.</param>
/// <param name="Message">What happened, in plain words.</param>
/// <param name="Fix">What to do about it.</param>
/// <param name="Kind">How the engine reacts (retry, stop until fixed, ask for re-authorisation).</param>
public sealed record KnownError(string Code, string Title, string Message, string Fix, ErrorKind Kind);

public enum ErrorKind
{
    /// <summary>Wrong configuration in Azure or the portal: stop and show the fix.</summary>
    Configuration,

    /// <summary>The delegated grant is gone: the credential needs re-authorisation.</summary>
    Reauthorise,

    /// <summary>Missing permission or access to the mailbox.</summary>
    Permission,

    /// <summary>Temporary: retried with back-off.</summary>
    Transient,

    /// <summary>Not in the catalogue.</summary>
    Unknown,
}

/// <summary>
/// The catalogue: AADSTS codes, Graph error codes and the guide's common errors mapped to a message and a fix.
/// Test connection, the engine's logs and the notifications all use it.
/// </summary>
public static partial class KnownErrors
{
    private const string NewSecretFix =
        "In Azure open App registrations > your app > Certificates & secrets, create a new client secret and copy its Value (not the Secret ID) — it is shown only once. Paste it into the credential and save.";

    /// <summary>Graph refused to read the mailbox's contacts: Contacts.Read (or Contacts.Read.Shared) is missing.</summary>
    public const string ContactsPermissionMissing = "ContactsPermissionMissing";

    /// <summary>A stored secret, certificate or sign-in can no longer be decrypted (the Data Protection keys changed).</summary>
    public const string SecretUnreadable = "SecretUnreadable";

    /// <summary>A credential uses the Sandbox authority while the sandbox tenant is off.</summary>
    public const string SandboxDisabled = "SandboxDisabled";

    /// <summary>Graph no longer holds a saved delta link's sync state (410 Gone, <c>SyncStateNotFound</c> / <c>resyncRequired</c>): the folder is resynced from scratch.</summary>
    public const string SyncStateExpired = "SyncStateNotFound";

    /// <summary>A federated credential's token file lies outside Portal:FederatedTokenDirectory.</summary>
    public const string FederatedTokenFileOutsideDirectory = "FederatedTokenFileOutsideDirectory";

    private static readonly Dictionary<string, KnownError> ByCode = new KnownError[]
    {
        new(SecretUnreadable, "Secret can no longer be read",
            "Secret can no longer be read — enter it again. The stored client secret, certificate or sign-in could not be decrypted: the portal's Data Protection keys (or their key-encryption certificate) are not the ones it was saved with.",
            "Enter the client secret's Value again (or upload the certificate again; for authorisation code, sign in again) and save. To avoid this after a restore, restore the key-encryption certificate together with the database (README: Key ring and backups).",
            ErrorKind.Configuration),
        new(SandboxDisabled, "Sandbox tenant is off",
            "This credential uses the Sandbox authority, but the sandbox tenant is not enabled on this portal.",
            "Change the credential's authority to your tenant's cloud (Global unless you know otherwise) and enter its real app registration, or, on a test deployment only, switch the sandbox on with Sandbox__Enabled=true and restart.",
            ErrorKind.Configuration),
        new(FederatedTokenFileOutsideDirectory, "Federated token file outside the allowed folder",
            "The federated token file is not inside the folder the portal reads federated tokens from (Portal:FederatedTokenDirectory).",
            "Have the token written into the folder set by Portal:FederatedTokenDirectory and enter its path there (a file name alone is enough), or change that setting and restart.",
            ErrorKind.Configuration),
        new("AADSTS7000215", "Secret ID entered instead of the secret value",
            "Microsoft rejected the client secret: what was entered is the secret's ID, or a wrong value.", NewSecretFix, ErrorKind.Configuration),
        new("AADSTS7000222", "Client secret expired",
            "The app registration's client secret has expired.", NewSecretFix, ErrorKind.Configuration),
        new("AADSTS700016", "Application not found in the tenant",
            "No app with this Application (client) ID exists in the directory, or it was registered in another tenant.",
            "Check the Application (client) ID and Directory (tenant) ID on the app registration's Overview page. The app must be single-tenant and registered in the mailbox's tenant.", ErrorKind.Configuration),
        new("AADSTS90002", "Tenant not found",
            "The Directory (tenant) ID does not match any tenant in this cloud.",
            "Copy the Directory (tenant) ID from the app registration's Overview page, and check that the authority matches your tenant's cloud (Global unless you know otherwise).", ErrorKind.Configuration),
        new("AADSTS700027", "Certificate not registered on the app",
            "The certificate used to sign in is not one of the app registration's certificates.",
            "Upload the certificate's public key (.cer) under App registrations > Certificates & secrets > Certificates, or upload the matching certificate here.", ErrorKind.Configuration),
        new("AADSTS700024", "Federated token rejected",
            "The client assertion in the federated token file is expired or not valid now.",
            "Make sure the process that writes the federated token file keeps it fresh, and that the server clock is right.", ErrorKind.Configuration),
        new("AADSTS70021", "No matching federated identity",
            "The federated token's issuer and subject match no federated credential on the app.",
            "Add a federated credential on the app registration with the token's issuer and subject (Certificates & secrets > Federated credentials).", ErrorKind.Configuration),
        new("AADSTS9002313", "Token request rejected as malformed",
            "Microsoft rejected the token refresh as malformed (often after the secret was replaced or entered as the secret ID).",
            "Re-authorise the mailbox. If it keeps failing, create a new client secret, copy its Value (not the Secret ID) and save it here.", ErrorKind.Reauthorise),
        new("AADSTS50011", "Redirect URI not registered",
            "The redirect URI the portal uses is not registered on the app.",
            "Add the redirect URI shown on the credential (platform: Web) under App registrations > Authentication, then sign in again.", ErrorKind.Configuration),
        new("AADSTS65001", "Consent not granted",
            "The app has not been granted the permissions it asks for.",
            "In Azure open API permissions, add the permissions listed on the credential and click 'Grant admin consent'.", ErrorKind.Configuration),
        new("AADSTS70008", "Sign-in expired",
            "The saved sign-in (refresh token) has expired or was revoked.",
            "Click Reauthorise and sign in again with the mailbox account.", ErrorKind.Reauthorise),
        new("AADSTS700082", "Sign-in expired after inactivity",
            "The saved sign-in was not used for 90 days and expired.",
            "Click Reauthorise and sign in again with the mailbox account.", ErrorKind.Reauthorise),
        new("AADSTS50173", "Sign-in revoked",
            "The grant was revoked (for example the password changed or sessions were revoked).",
            "Click Reauthorise and sign in again with the mailbox account.", ErrorKind.Reauthorise),
        new("AADSTS9002325", "PKCE required",
            "Microsoft requires Proof Key for Code Exchange for this sign-in.",
            "Sign in again from the portal's Authorize button (the portal always uses PKCE); if you see this, report it.", ErrorKind.Configuration),
        new("AADSTS50020", "Account from another tenant",
            "The account that signed in does not belong to the app's tenant.",
            "Sign in with an account of the tenant the app is registered in.", ErrorKind.Configuration),
        new("invalid_grant", "Sign-in no longer valid",
            "The saved sign-in was rejected (expired, revoked, or the password changed).",
            "Click Reauthorise and sign in again with the mailbox account.", ErrorKind.Reauthorise),
        new("InvalidAuthenticationToken", "Access token refused by Graph",
            "Graph refused the access token even after the portal fetched a fresh one: the token was issued for another tenant or audience, the sign-in was revoked, or this server's clock is far from the real time.",
            "Check the server's clock is correct, then Test connection; for authorisation code, Reauthorise. If it persists, check the credential's tenant and application ID.", ErrorKind.Configuration),
        new("ErrorAccessDenied", "Access to the mailbox denied",
            "Graph denied access to the mailbox: an application access policy or RBAC scope excludes it, or a permission is missing.",
            "Add the mailbox to the app's RBAC for Applications scope (or its application access policy), and check the required permissions have admin consent.", ErrorKind.Permission),
        new("Authorization_RequestDenied", "Permission missing",
            "The app lacks a permission Graph needs for this call.",
            "Add the permissions listed on the credential under API permissions and grant admin consent.", ErrorKind.Permission),
        new("ErrorInvalidUser", "Mailbox not found",
            "No mailbox with this address exists in the tenant, or the address is not its owner's user principal name (Graph finds mailboxes by UPN, not by alias).",
            "Check the email address; for client credentials the owner's UPN must match the address. Only licensed and shared mailboxes are supported.", ErrorKind.Configuration),
        new("MailboxNotEnabledForRESTAPI", "Mailbox type not supported",
            "This mailbox cannot be read through Graph: it is a room, equipment or group mailbox, on-premises, or not licensed for Exchange Online.",
            "Connect a licensed or shared Exchange Online mailbox instead.", ErrorKind.Configuration),
        new("ErrorItemNotFound", "Message not found",
            "The message was moved or deleted before the portal fetched it.",
            "Nothing to do unless mail is missing: check email rules and other clients that move mail out of the folder.", ErrorKind.Configuration),
        new("ApplicationThrottled", "Throttled by Microsoft Graph",
            "Graph asked the portal to slow down (too many requests for this mailbox).",
            "Nothing to do: the portal waits as Graph asks and continues.", ErrorKind.Transient),
        new("SharedMailboxNotDelegated", "No Full Access to the shared mailbox",
            "The signed-in account cannot open the shared mailbox, so the portal would read the wrong inbox.",
            "In the Microsoft 365 admin centre give the signed-in account Full Access (Read and manage) to the shared mailbox, and make sure the app has the delegated Mail.ReadWrite.Shared and Mail.Send.Shared permissions with consent. Then test again.", ErrorKind.Permission),
        new("UpnMismatch", "Mailbox owner's UPN differs from the address",
            "The mailbox was found, but its owner's user principal name does not match the address entered.",
            "Enter the address that equals the owner's UPN, or change the UPN in Microsoft 365.", ErrorKind.Configuration),
        new("MultiTenantApp", "Multi-tenant app",
            "The app registration is multi-tenant; only single-tenant apps are supported.",
            "Create a single-tenant app registration ('Accounts in this organizational directory only').", ErrorKind.Configuration),
        new("EmailRule", "Caught by an email rule",
            "An email rule matched this email and ignored or deleted it.",
            "Open Configuration > Email > Email Rules and check the rule named in the log; deleted mail can be moved back to the inbox in Outlook to be processed again.", ErrorKind.Configuration),
        new(ContactsPermissionMissing, "Contacts permission missing",
            "Graph denied access to the mailbox's contacts: the app lacks the Contacts.Read permission (with authorisation code and a shared mailbox, Contacts.Read.Shared).",
            "In Azure open App registrations > your app > API permissions, add Microsoft Graph Contacts.Read (Application for client credentials; Delegated, plus Contacts.Read.Shared for a shared mailbox, for authorisation code) and click 'Grant admin consent'. For authorisation code tick 'Import Outlook contacts through this connection' on the credential and sign in again so the token carries the permission. Then import again.",
            ErrorKind.Permission),
        new("SubscriptionValidationFailed", "Graph could not validate the webhook address",
            "Graph could not reach {url} to validate the subscription, so no subscription was created.",
            "Graph could not reach {url}: make Portal:PublicBaseUrl a public https address that forwards /api/graph/notifications (and /api/graph/lifecycle) to this portal, then create the subscription again.", ErrorKind.Configuration),
        new("PublicBaseUrlMissing", "No public address for webhooks",
            "Portal:PublicBaseUrl is not set, so Microsoft Graph has no address to send change notifications to.",
            "Set Portal:PublicBaseUrl (e.g. Portal__PublicBaseUrl=https://helpdesk.example.com) to the public https address of this portal, restart it, and create the subscription again. Until then, use Processing method: Mailbox scan.", ErrorKind.Configuration),
        new(SyncStateExpired, "Delta sync state expired",
            "Microsoft Graph no longer holds the folder's delta sync state (410 Gone), so the saved delta link cannot be used.",
            "Nothing to do: the portal resyncs the folder from scratch; messages it already recorded are not processed again.", ErrorKind.Transient),
        new("ServiceUnavailable", "Microsoft Graph unavailable",
            "Graph answered with a server error or could not be reached.",
            "Nothing to do: the portal retries with back-off.", ErrorKind.Transient),
    }.ToDictionary(e => e.Code, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every catalogued error.</summary>
    public static IReadOnlyCollection<KnownError> All => ByCode.Values;

    /// <summary>A catalogued error by code, or null.</summary>
    public static KnownError? Find(string? code) => code is not null && ByCode.TryGetValue(code, out var e) ? e : null;

    /// <summary>The error for an unrecognised failure: its message kept, with the guide's advice.</summary>
    public static KnownError Unknown(string code, string message) =>
        new(code, "Unexpected error", message,
            "If this mailbox stopped working and nothing here explains it, disconnect and re-authorise (or test) the credential, and check the required permissions.",
            ErrorKind.Unknown);

    /// <summary>Recognises an Entra ID token error by its AADSTS code (first), or its OAuth error code.</summary>
    public static KnownError FromTokenError(string? oauthError, string? description, IEnumerable<long>? errorCodes = null)
    {
        foreach (var code in errorCodes ?? [])
        {
            if (Find($"AADSTS{code}") is { } byNumber)
            {
                return byNumber;
            }
        }

        var match = description is null ? null : AadstsPattern().Match(description);
        if (match is { Success: true } && Find(match.Value) is { } byText)
        {
            return byText;
        }

        if (Find(oauthError) is { } byError)
        {
            return byError;
        }

        if (oauthError is "service_not_available" or "request_timeout")
        {
            // MSAL's codes for an identity endpoint that could not be reached or answered 5xx.
            return Find("ServiceUnavailable")! with { Message = $"The sign-in service could not be reached: {FirstLine(description)}" };
        }

        var code2 = match is { Success: true } ? match.Value : oauthError ?? "token_error";
        return Unknown(code2, FirstLine(description) ?? oauthError ?? "The sign-in failed.");
    }

    /// <summary>Recognises a Graph error by its code; 429 and 5xx are transient.</summary>
    public static KnownError FromGraphError(int status, string? code, string? message)
    {
        if (Find(code) is { } known)
        {
            return known;
        }

        if (status == 410 || string.Equals(code, "resyncRequired", StringComparison.OrdinalIgnoreCase))
        {
            return Find(SyncStateExpired)! with { Message = $"{Find(SyncStateExpired)!.Message} Graph said: {message ?? code ?? "410 Gone"}" };
        }

        if (status == 429)
        {
            return Find("ApplicationThrottled")!;
        }

        if (status >= 500)
        {
            return Find("ServiceUnavailable")!;
        }

        if (status == 403)
        {
            return Find("ErrorAccessDenied")! with { Message = $"Graph denied access: {message}" };
        }

        return Unknown(code ?? $"HTTP{status}", message ?? $"Graph answered {status}.");
    }

    private static string? FirstLine(string? text) => text?.Split('\n', 2)[0].Trim();

    [GeneratedRegex(@"AADSTS\d+")]
    private static partial Regex AadstsPattern();
}
