using HaloPortal.Engine.Credentials;

namespace HaloPortal.Tests.Credentials;

public sealed class RequiredPermissionsTests
{
    private static string[] Names(RequiredPermissionSet set) => set.Permissions.Select(p => p.Name).ToArray();

    [Fact]
    public void Authorisation_code_needs_delegated_mail_permissions_and_offline_access()
    {
        var set = RequiredPermissions.For(AuthMethod.AuthorizationCode, sharedMailbox: false, importContacts: false, usesRbac: false);

        Assert.Equal(PermissionKind.Delegated, set.Kind);
        Assert.Equal(["Mail.ReadWrite", "Mail.Send", "offline_access"], Names(set));
    }

    [Fact]
    public void A_shared_mailbox_with_contacts_adds_the_shared_scopes()
    {
        var set = RequiredPermissions.For(AuthMethod.AuthorizationCode, sharedMailbox: true, importContacts: true, usesRbac: false);

        Assert.Equal(["Mail.ReadWrite", "Mail.Send", "offline_access", "Contacts.Read", "Mail.ReadWrite.Shared", "Mail.Send.Shared", "Contacts.Read.Shared"], Names(set));
        Assert.Contains("Full Access", set.Note);
    }

    [Fact]
    public void Client_credentials_need_application_permissions_unless_rbac_grants_them()
    {
        var plain = RequiredPermissions.For(AuthMethod.ClientCredentials, false, importContacts: true, usesRbac: false);
        var rbac = RequiredPermissions.For(AuthMethod.ClientCredentials, false, importContacts: true, usesRbac: true);

        Assert.Equal(PermissionKind.Application, plain.Kind);
        Assert.Equal(["Mail.ReadWrite", "Mail.Send", "Contacts.Read"], Names(plain));
        Assert.Contains("RBAC for Applications", plain.Note);
        Assert.Empty(rbac.Permissions);
        Assert.Contains("Contacts.Read", rbac.Note);
    }

    [Fact]
    public void Delegated_scopes_use_the_clouds_own_graph_host()
    {
        var scopes = RequiredPermissions.DelegatedScopes(Authorities.Cloud(GraphAuthority.UsGovL5), sharedMailbox: false, importContacts: false);

        Assert.Equal(["https://dod-graph.microsoft.us/Mail.ReadWrite", "https://dod-graph.microsoft.us/Mail.Send"], scopes);
    }

    [Theory]
    [InlineData(GraphAuthority.Global, "login.microsoftonline.com", "graph.microsoft.com")]
    [InlineData(GraphAuthority.UsGovL4, "login.microsoftonline.us", "graph.microsoft.us")]
    [InlineData(GraphAuthority.UsGovL5, "login.microsoftonline.us", "dod-graph.microsoft.us")]
    [InlineData(GraphAuthority.China, "login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn")]
    public void Each_authority_maps_to_its_real_hosts(GraphAuthority authority, string login, string graph)
    {
        var endpoints = Authorities.Cloud(authority);

        Assert.Equal($"https://{login}/tenant-id/", endpoints.AuthorityUrl("tenant-id"));
        Assert.Equal($"https://{graph}/v1.0", endpoints.GraphBaseUrl);
        Assert.Equal($"https://{graph}/.default", endpoints.DefaultScope);
    }
}
