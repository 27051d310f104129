namespace HaloPortal.Engine.Credentials;

/// <summary>The Microsoft Graph permissions an app registration needs for a credential's choices.</summary>
/// <param name="Kind">Delegated (authorisation code) or Application (client credentials).</param>
/// <param name="Permissions">Each permission with the reason it is needed.</param>
/// <param name="Note">Extra guidance, e.g. that RBAC for Applications grants access instead.</param>
public sealed record RequiredPermissionSet(PermissionKind Kind, IReadOnlyList<RequiredPermission> Permissions, string? Note);

public sealed record RequiredPermission(string Name, string Reason);

public enum PermissionKind
{
    Delegated,
    Application,
}

public static class RequiredPermissions
{
    /// <summary>Computes the permissions from the authentication method and the options in use.</summary>
    public static RequiredPermissionSet For(AuthMethod method, bool sharedMailbox, bool importContacts, bool usesRbac)
    {
        if (method == AuthMethod.AuthorizationCode)
        {
            var list = new List<RequiredPermission>
            {
                new("Mail.ReadWrite", "read the mailbox and move processed mail"),
                new("Mail.Send", "send replies and notifications"),
                new("offline_access", "keep the connection without signing in again"),
            };
            if (importContacts)
            {
                list.Add(new("Contacts.Read", "import Outlook contacts as users"));
            }

            if (sharedMailbox)
            {
                list.Add(new("Mail.ReadWrite.Shared", "read the shared mailbox with the delegate's rights"));
                list.Add(new("Mail.Send.Shared", "send from the shared mailbox"));
                if (importContacts)
                {
                    list.Add(new("Contacts.Read.Shared", "import the shared mailbox's contacts"));
                }
            }

            var note = sharedMailbox
                ? "The account that signs in must be a delegate of the shared mailbox with Full Access (Read and manage) in Microsoft 365."
                : "The mailbox of the account that signs in is the one processed.";
            return new RequiredPermissionSet(PermissionKind.Delegated, list, note);
        }

        if (usesRbac)
        {
            return new RequiredPermissionSet(PermissionKind.Application, [],
                "Grant no Graph application permission: the Exchange Online role assignment (RBAC for Applications) grants Mail.ReadWrite, Mail.Send"
                + (importContacts ? " and Contacts.Read" : "") + " on the mailboxes in its scope.");
        }

        var app = new List<RequiredPermission>
        {
            new("Mail.ReadWrite", "read the mailbox and move processed mail"),
            new("Mail.Send", "send replies and notifications"),
        };
        if (importContacts)
        {
            app.Add(new("Contacts.Read", "import Outlook contacts as users"));
        }

        return new RequiredPermissionSet(PermissionKind.Application, app,
            "Application permissions reach every mailbox in the tenant: restrict the app with RBAC for Applications (application access policies are deprecated but still honoured).");
    }

    /// <summary>The delegated scopes to request when signing in, for the credential's cloud.</summary>
    public static IReadOnlyList<string> DelegatedScopes(AuthorityEndpoints endpoints, bool sharedMailbox, bool importContacts) =>
        For(AuthMethod.AuthorizationCode, sharedMailbox, importContacts, usesRbac: false).Permissions
            .Where(p => p.Name != "offline_access") // MSAL always adds offline_access, openid and profile itself.
            .Select(p => endpoints.Scope(p.Name))
            .ToList();
}
