namespace HaloPortal.Engine.Credentials;

/// <summary>
/// The one status of a credential that every screen and the API show: what the last real Graph call through it said,
/// or why there has been none since the settings last changed.
/// </summary>
public enum ConnectionState
{
    /// <summary>The last call that reached the mailbox (test, sign-in or scan) succeeded.</summary>
    Connected,

    /// <summary>The last call failed; <see cref="CredentialView.LastError"/> says why and how to fix it.</summary>
    NeedsAttention,

    /// <summary>Created or changed since anything last reached the mailbox: test it (or let the next scan do it).</summary>
    NotTested,

    /// <summary>Disconnected by an administrator, or an authorisation-code credential nobody has signed in with: no mail is read.</summary>
    Disconnected,
}

public static class ConnectionStates
{
    /// <summary>The state a stored credential is in.</summary>
    public static ConnectionState Of(MailboxCredential c) => c.Status switch
    {
        CredentialStatus.Connected => ConnectionState.Connected,
        CredentialStatus.Failing or CredentialStatus.NeedsReauthorisation => ConnectionState.NeedsAttention,
        _ when c.LastErrorCode is not null => ConnectionState.NeedsAttention,
        _ when c.DisconnectedAt is not null || (c.AuthMethod == AuthMethod.AuthorizationCode && c.HomeAccountId is null) => ConnectionState.Disconnected,
        _ => ConnectionState.NotTested,
    };

    /// <summary>One sentence under the chip: what the state means for mail, and what to do.</summary>
    public static string Explain(ConnectionState state, AuthMethod method) => state switch
    {
        ConnectionState.Connected => "The last call to the mailbox succeeded; mail is being read.",
        ConnectionState.NeedsAttention => "The last call to the mailbox failed: the error below says why and how to fix it.",
        ConnectionState.NotTested => method == AuthMethod.ClientCredentials
            ? "Nothing has reached the mailbox since these settings were saved: click Test connection."
            : "Signed in, but nothing has reached the mailbox since the settings changed: click Test connection.",
        _ => method == AuthMethod.ClientCredentials
            ? "Disconnected: no mail is read. Test connection connects it again."
            : "Nobody is signed in: no mail is read. Click Authorize / Sign in.",
    };
}
