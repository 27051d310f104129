using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Mailboxes;
using MudBlazor;

namespace HaloPortal.Components.Pages.Configuration.Email.Components;

/// <summary>The words the email screens use for the engine's enums.</summary>
public static class EmailLabels
{
    public static string Of(MailboxConnectionType type) => type switch
    {
        MailboxConnectionType.Office365Azure => "Office 365/Azure",
        MailboxConnectionType.ImapPop3 => "IMAP/POP3",
        MailboxConnectionType.Ews => "Exchange Web Services (EWS)",
        MailboxConnectionType.Google => "Google",
        _ => type.ToString(),
    };

    public static string Of(AuthMethod method) => method switch
    {
        AuthMethod.AuthorizationCode => "Authorisation code",
        AuthMethod.ClientCredentials => "Client credentials",
        _ => method.ToString(),
    };

    public static string Of(CredentialType type) => type switch
    {
        CredentialType.ClientSecret => "Client secret",
        CredentialType.Certificate => "Certificate",
        CredentialType.FederatedCredential => "Federated credential",
        _ => type.ToString(),
    };

    public static string Of(ProcessingMethod method) => method switch
    {
        ProcessingMethod.MailboxScan => "Mailbox scan",
        ProcessingMethod.Webhooks => "Webhooks",
        _ => method.ToString(),
    };

    public static string Of(GraphAuthority authority) => Authorities.For(authority).DisplayName;

    public static string Of(CredentialStatus status) => status switch
    {
        CredentialStatus.Connected => "Connected",
        CredentialStatus.NotConnected => "Not connected",
        CredentialStatus.NeedsReauthorisation => "Needs re-authorisation",
        CredentialStatus.Failing => "Failing",
        _ => status.ToString(),
    };

    public static Color ColorOf(CredentialStatus status) => status switch
    {
        CredentialStatus.Connected => Color.Success,
        CredentialStatus.NeedsReauthorisation => Color.Warning,
        CredentialStatus.Failing => Color.Error,
        _ => Color.Default,
    };

    public static string Of(PermissionKind kind) => kind == PermissionKind.Delegated ? "Delegated" : "Application";
}
