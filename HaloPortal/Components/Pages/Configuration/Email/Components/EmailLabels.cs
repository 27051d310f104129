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

    /// <summary>The authority's name, or the enum name when this portal does not register it.</summary>
    public static string Of(GraphAuthority authority, IAuthorities authorities) =>
        authorities.All.FirstOrDefault(a => a.Authority == authority)?.DisplayName ?? authority.ToString();

    public static string Of(ConnectionState state) => state switch
    {
        ConnectionState.Connected => "Connected",
        ConnectionState.NeedsAttention => "Needs attention",
        ConnectionState.NotTested => "Not tested since changed",
        ConnectionState.Disconnected => "Disconnected",
        _ => state.ToString(),
    };

    public static Color ColorOf(ConnectionState state) => state switch
    {
        ConnectionState.Connected => Color.Success,
        ConnectionState.NeedsAttention => Color.Error,
        ConnectionState.NotTested => Color.Warning,
        _ => Color.Default,
    };

    /// <summary>What Disconnect does, for its confirmation.</summary>
    public static string DisconnectConsequence(AuthMethod method) => method == AuthMethod.AuthorizationCode
        ? "The saved sign-in is forgotten, the webhook subscription is removed and mail stops being read until someone signs in again. The fields unlock so you can change them."
        : "Mail stops being read and the webhook subscription is removed. The secret or certificate is kept; the tenant, application and address unlock so you can change them. Test connection connects it again.";

    public static string Of(PermissionKind kind) => kind == PermissionKind.Delegated ? "Delegated" : "Application";
}
