using HaloPortal.Sandbox;
using HaloPortal.Tests.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Graph.Models.ODataErrors;

namespace HaloPortal.Sandbox.Tests;

/// <summary>Who may read which mailbox: application roles, access policies, delegated scopes and Full Access delegation.</summary>
public sealed class SandboxGraphAccessTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private static readonly string[] SharedScopes = ["https://graph.microsoft.com/Mail.ReadWrite", "https://graph.microsoft.com/Mail.ReadWrite.Shared"];

    [Fact]
    public async Task Access_policy_denies_mailboxes_outside_it_with_Access_to_OData_is_disabled()
    {
        var tenant = await app.CreateTenantAsync();
        await app.Control().SetAccessPolicyAsync(tenant.TenantId.ToString(), tenant.AppId, [tenant.User]);
        var graph = app.AppGraph(tenant);

        var allowed = await graph.Users[tenant.User].MailFolders["inbox"].Messages.GetAsync();
        var ex = await Assert.ThrowsAsync<ODataError>(() => graph.Users[tenant.Shared].MailFolders["inbox"].Messages.GetAsync());

        Assert.NotNull(allowed);
        Assert.Equal(403, ex.ResponseStatusCode);
        Assert.Equal("ErrorAccessDenied", ex.Error!.Code);
        Assert.Equal("Access to OData is disabled.", ex.Error.Message);
    }

    [Fact]
    public async Task App_without_mail_roles_is_denied_and_without_admin_consent_gets_no_roles()
    {
        var tenant = await app.CreateTenantAsync(adminConsent: false);
        var graph = app.AppGraph(tenant);

        var ex = await Assert.ThrowsAsync<ODataError>(() => graph.Users[tenant.User].Messages.GetAsync());

        Assert.Equal(403, ex.ResponseStatusCode);
        Assert.Equal("ErrorAccessDenied", ex.Error!.Code);
        Assert.Equal("Access is denied. Check credentials and try again.", ex.Error.Message);
    }

    [Fact]
    public async Task Delegate_with_Shared_scope_reads_the_shared_mailbox_and_me_is_the_signed_in_user()
    {
        var tenant = await app.CreateTenantAsync();
        await app.DeliverAsync(tenant.Shared, SandboxKit.Mime("customer@external.test", tenant.Shared, "Help!"));
        var token = await app.DelegatedTokenAsync(tenant, SharedScopes);
        var graph = app.Graph(_ => Task.FromResult(token.AccessToken));

        var shared = await graph.Users[tenant.Shared].MailFolders["inbox"].Messages.GetAsync();
        var own = await graph.Me.MailFolders["inbox"].Messages.GetAsync();

        Assert.Equal("Help!", Assert.Single(shared!.Value!).Subject);
        Assert.Empty(own!.Value!);
    }

    [Fact]
    public async Task Shared_mailbox_needs_both_Full_Access_and_the_Shared_scope()
    {
        var tenant = await app.CreateTenantAsync();
        var bob = await app.Control().CreateUserAsync(tenant.TenantId.ToString(), new SandboxNewUser($"bob@{tenant.Domain}", "Bob", SandboxKit.Password));
        var notDelegate = await app.DelegatedTokenAsync(tenant, SharedScopes, bob.UserPrincipalName);
        var withoutShared = await app.DelegatedTokenAsync(tenant, ["https://graph.microsoft.com/Mail.ReadWrite"]);

        var noFullAccess = await Assert.ThrowsAsync<ODataError>(() => app.Graph(_ => Task.FromResult(notDelegate.AccessToken)).Users[tenant.Shared].Messages.GetAsync());
        var noScope = await Assert.ThrowsAsync<ODataError>(() => app.Graph(_ => Task.FromResult(withoutShared.AccessToken)).Users[tenant.Shared].Messages.GetAsync());

        Assert.Equal(403, noFullAccess.ResponseStatusCode);
        Assert.Equal("ErrorAccessDenied", noFullAccess.Error!.Code);
        Assert.Equal(403, noScope.ResponseStatusCode);
    }

    [Fact]
    public async Task App_token_on_me_is_a_bad_request_and_other_tenants_users_are_invalid()
    {
        var tenant = await app.CreateTenantAsync();
        var other = await app.CreateTenantAsync();
        var graph = app.AppGraph(tenant);

        var me = await Assert.ThrowsAsync<ODataError>(() => graph.Me.Messages.GetAsync());
        var foreign = await Assert.ThrowsAsync<ODataError>(() => graph.Users[other.User].Messages.GetAsync());

        Assert.Equal(400, me.ResponseStatusCode);
        Assert.Equal("/me request is only valid with delegated authentication flow.", me.Error!.Message);
        Assert.Equal("ErrorInvalidUser", foreign.Error!.Code);
    }

    [Fact]
    public async Task Mailbox_settings_tell_a_shared_mailbox_from_a_licensed_one()
    {
        var tenant = await app.CreateTenantAsync(applicationPermissions: ["Mail.ReadWrite", "MailboxSettings.Read"]);
        var graph = app.AppGraph(tenant);

        var shared = await graph.Users[tenant.Shared].MailboxSettings.GetAsync();
        var licensed = await graph.Users[tenant.User].MailboxSettings.GetAsync();

        Assert.Equal(Microsoft.Graph.Models.UserPurpose.Shared, shared!.UserPurpose);
        Assert.Equal(Microsoft.Graph.Models.UserPurpose.User, licensed!.UserPurpose);
    }

    [Fact]
    public async Task A_token_for_another_audience_or_a_forged_one_is_401()
    {
        var tenant = await app.CreateTenantAsync();
        var token = await app.AppTokenAsync(tenant);
        var parts = token.Split('.');
        var forged = parts[0] + "." + parts[1] + "." + new string('A', parts[2].Length);

        var ex = await Assert.ThrowsAsync<ODataError>(() => app.Graph(_ => Task.FromResult(forged)).Users[tenant.User].Messages.GetAsync());
        var none = await Assert.ThrowsAsync<ODataError>(() => app.Graph(_ => Task.FromResult("")).Users[tenant.User].Messages.GetAsync());

        Assert.Equal(401, ex.ResponseStatusCode);
        Assert.Equal("InvalidAuthenticationToken", ex.Error!.Code);
        Assert.Equal(401, none.ResponseStatusCode);
        Assert.Equal("Access token is empty.", none.Error!.Message);
    }
}
