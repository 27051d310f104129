using System.Net;
using ICredentials = HaloPortal.Engine.Credentials.ICredentials;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tokens;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Sandbox;

namespace HaloPortal.Tests.Credentials;

/// <summary>Portal factory for client-credential tests: an on-premises installation (federated credentials allowed).</summary>
public sealed class OnPremisesPortalFactory : PortalAppFactory
{
    public OnPremisesPortalFactory()
    {
        Settings["Portal:Hosting"] = nameof(PortalHosting.OnPremises);
        Settings["Portal:FederatedTokenDirectory"] = DataDirectory; // the federated test writes its token file there
    }
}

/// <summary>
/// Test connection of client credentials against the sandbox through the engine's real path (ICredentials,
/// ICredentialConnections, MSAL, Graph SDK): each credential type succeeds, and each known failure shows its catalogued fix.
/// </summary>
public sealed class ClientCredentialConnectionTests(OnPremisesPortalFactory app) : IClassFixture<OnPremisesPortalFactory>
{
    private ICredentialConnections Connections => app.Get<ICredentialConnections>();

    private Task<SandboxTenant> TenantAsync(IReadOnlyList<string>? applicationPermissions = null) =>
        app.CreateTenantAsync(applicationPermissions: applicationPermissions ?? CredentialKit.DocumentedApplicationPermissions);

    [Fact]
    public async Task Client_secret_connects_to_the_shared_mailbox_with_only_the_documented_permissions()
    {
        var tenant = await TenantAsync();
        var credential = await app.CreateCredentialAsync(CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, tenant.Shared, tenant.Secret));

        var result = await Connections.TestAsync(credential.Id);

        Assert.True(result.Ok, result.Error?.Message);
        Assert.Equal(tenant.Shared, result.Address);
        var view = (await app.Get<ICredentials>().GetAsync(credential.Id))!;
        Assert.Equal(CredentialStatus.Connected, view.Status);
        Assert.Equal(tenant.Shared, view.ConnectedAddress);
        Assert.Null(view.LastError);
    }

    [Fact]
    public async Task The_seeded_demo_credential_passes_its_connection_test()
    {
        var demo = (await app.Get<ISandboxDemo>().GetAsync())!;
        var mailbox = (await app.Get<Engine.Mailboxes.IMailboxes>().GetAsync(1))!;
        var credential = Assert.Single(mailbox.Credentials);

        var result = await Connections.TestAsync(credential.Id);

        Assert.True(result.Ok, result.Error?.Message);
        Assert.Equal(demo.SharedMailbox, result.Address);
    }

    [Fact]
    public async Task Certificate_connects_when_its_public_part_is_registered_on_the_app()
    {
        var tenant = await TenantAsync();
        using var certificate = CredentialKit.CreateCertificate("CN=HaloPortal test " + tenant.Domain);
        var thumbprint = await app.Control().AddCertificateAsync(tenant.TenantId.ToString(), tenant.AppId, Convert.ToBase64String(certificate.RawData));
        var input = CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, tenant.User);
        input.CredentialType = CredentialType.Certificate;
        input.Certificate = certificate.Export(X509ContentType.Pfx, "pfx-password");
        input.CertificatePassword = "pfx-password";
        var credential = await app.CreateCredentialAsync(input);

        var result = await Connections.TestAsync(credential.Id);

        Assert.True(result.Ok, result.Error?.Message);
        Assert.Equal(tenant.User, result.Address);
        var view = (await app.Get<ICredentials>().GetAsync(credential.Id))!;
        Assert.Equal(CredentialStatus.Connected, view.Status);
        Assert.Equal(thumbprint, view.CertificateThumbprint, ignoreCase: true);
    }

    [Fact]
    public async Task Federated_credential_reads_the_signed_assertion_from_the_token_file()
    {
        var tenant = await TenantAsync();
        using var issuer = new FederatedIssuer();
        const string subject = "system:serviceaccount:halo:portal";
        await app.Control().AddFederatedCredentialAsync(tenant.TenantId.ToString(), tenant.AppId,
            new SandboxNewFederatedCredential("on-prem", FederatedIssuer.Issuer, subject, [FederatedIssuer.Audience], issuer.Jwks));
        var tokenFile = Path.Combine(app.DataDirectory, $"federated-{Guid.NewGuid():N}.jwt");
        await File.WriteAllTextAsync(tokenFile, issuer.CreateAssertion(subject) + "\n");
        var input = CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, tenant.Shared);
        input.CredentialType = CredentialType.FederatedCredential;
        input.FederatedTokenFile = tokenFile;
        var credential = await app.CreateCredentialAsync(input);
        Assert.Equal(CredentialType.FederatedCredential, credential.CredentialType);

        var result = await Connections.TestAsync(credential.Id);

        Assert.True(result.Ok, result.Error?.Message);
        Assert.Equal(tenant.Shared, result.Address);
        Assert.Equal(CredentialStatus.Connected, (await app.Get<ICredentials>().GetAsync(credential.Id))!.Status);
    }

    [Fact]
    public async Task A_secret_ID_is_refused_when_saved_and_if_stored_anyway_Entra_answers_AADSTS7000215()
    {
        var tenant = await TenantAsync();
        var mailboxId = await app.CreateMailboxAsync();
        var refused = await Assert.ThrowsAsync<CredentialValidationException>(() => app.Get<ICredentials>().CreateAsync(mailboxId,
            CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, tenant.Shared, tenant.SecretId.ToString()), Actor.System));
        Assert.Equal(CredentialRules.SecretIdMessage, Assert.Single(refused.Validation.For("clientSecret")));

        // Saved before the check existed (or through another path): the server's answer is recognised too.
        var credential = await app.CreateCredentialAsync(CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, tenant.Shared, tenant.Secret));
        var secrets = app.Get<ICredentialSecrets>();
        await app.UpdateStoredAsync(credential.Id, c => c.ClientSecretProtected = secrets.Protect(tenant.SecretId.ToString()));

        var result = await Connections.TestAsync(credential.Id);

        Assert.False(result.Ok);
        CredentialKit.AssertCatalogued(result.Error, "AADSTS7000215");
        var view = (await app.Get<ICredentials>().GetAsync(credential.Id))!;
        CredentialKit.AssertCatalogued(view.LastError, "AADSTS7000215");
        Assert.NotEqual(CredentialStatus.Connected, view.Status);
    }

    [Fact]
    public async Task A_wrong_secret_value_is_AADSTS7000215_with_the_new_secret_fix()
    {
        var tenant = await TenantAsync();
        var credential = await app.CreateCredentialAsync(CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, tenant.Shared, "Wr0ng~" + tenant.Secret[..20]));

        var result = await Connections.TestAsync(credential.Id);

        Assert.False(result.Ok);
        CredentialKit.AssertCatalogued(result.Error, "AADSTS7000215");
    }

    [Fact]
    public async Task An_expired_secret_is_AADSTS7000222()
    {
        var tenant = await TenantAsync();
        var now = app.Get<TimeProvider>().GetUtcNow();
        var expired = await app.Control().AddSecretAsync(tenant.TenantId.ToString(), tenant.AppId, "old", now.AddDays(-1));
        // No expiry on the credential: the editor's own expiry check would refuse it before Entra could.
        var credential = await app.CreateCredentialAsync(CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, tenant.Shared, expired.SecretValue));

        var result = await Connections.TestAsync(credential.Id);

        Assert.False(result.Ok);
        CredentialKit.AssertCatalogued(result.Error, "AADSTS7000222");
    }

    [Fact]
    public async Task An_unknown_application_is_AADSTS700016()
    {
        var tenant = await TenantAsync();
        var credential = await app.CreateCredentialAsync(CredentialKit.ClientCredentials(tenant.TenantId, Guid.NewGuid(), tenant.Shared, tenant.Secret));

        var result = await Connections.TestAsync(credential.Id);

        Assert.False(result.Ok);
        CredentialKit.AssertCatalogued(result.Error, "AADSTS700016");
    }

    [Fact]
    public async Task An_unregistered_certificate_is_AADSTS700027()
    {
        var tenant = await TenantAsync();
        using var stranger = CredentialKit.CreateCertificate("CN=not registered");
        var input = CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, tenant.Shared);
        input.CredentialType = CredentialType.Certificate;
        input.Certificate = stranger.Export(X509ContentType.Pfx);
        var credential = await app.CreateCredentialAsync(input);

        var result = await Connections.TestAsync(credential.Id);

        Assert.False(result.Ok);
        CredentialKit.AssertCatalogued(result.Error, "AADSTS700027");
    }

    [Fact]
    public async Task An_access_policy_excluding_the_mailbox_is_ErrorAccessDenied()
    {
        var tenant = await TenantAsync();
        await app.Control().SetAccessPolicyAsync(tenant.TenantId.ToString(), tenant.AppId, [tenant.User]);
        var credential = await app.CreateCredentialAsync(CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, tenant.Shared, tenant.Secret));

        var result = await Connections.TestAsync(credential.Id);

        Assert.False(result.Ok);
        CredentialKit.AssertCatalogued(result.Error, "ErrorAccessDenied");
        Assert.Equal(CredentialStatus.NotConnected, (await app.Get<ICredentials>().GetAsync(credential.Id))!.Status);
    }

    [Fact]
    public async Task An_unknown_mailbox_is_ErrorInvalidUser()
    {
        var tenant = await TenantAsync();
        var credential = await app.CreateCredentialAsync(CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, $"nobody@{tenant.Domain}", tenant.Secret));

        var result = await Connections.TestAsync(credential.Id);

        Assert.False(result.Ok);
        CredentialKit.AssertCatalogued(result.Error, "ErrorInvalidUser");
    }

    [Theory]
    [InlineData(SandboxMailboxType.Room)]
    [InlineData(SandboxMailboxType.Equipment)]
    public async Task A_room_or_equipment_mailbox_is_refused_as_not_supported(SandboxMailboxType type)
    {
        var tenant = await TenantAsync([.. CredentialKit.DocumentedApplicationPermissions, "MailboxSettings.Read"]);
        var resource = await app.Control().CreateUserAsync(tenant.TenantId.ToString(), new SandboxNewUser($"resource@{tenant.Domain}", "Board room", null, type));
        var credential = await app.CreateCredentialAsync(CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, resource.UserPrincipalName, tenant.Secret));

        var result = await Connections.TestAsync(credential.Id);

        Assert.False(result.Ok);
        var error = CredentialKit.AssertCatalogued(result.Error, "MailboxNotEnabledForRESTAPI");
        Assert.Contains("not supported", error.Message);
        Assert.NotEqual(CredentialStatus.Connected, (await app.Get<ICredentials>().GetAsync(credential.Id))!.Status);
    }

    [Fact]
    public async Task A_mailbox_without_Exchange_Online_is_MailboxNotEnabledForRESTAPI()
    {
        var tenant = await TenantAsync();
        var unlicensed = await app.Control().CreateUserAsync(tenant.TenantId.ToString(), new SandboxNewUser($"nomail@{tenant.Domain}", "No Mail", "Pass-123", SandboxMailboxType.None));
        var credential = await app.CreateCredentialAsync(CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, unlicensed.UserPrincipalName, tenant.Secret));

        var result = await Connections.TestAsync(credential.Id);

        Assert.False(result.Ok);
        CredentialKit.AssertCatalogued(result.Error, "MailboxNotEnabledForRESTAPI");
    }

    [Fact]
    public async Task UAT_credentials_are_not_processed_by_a_Production_deployment()
    {
        var tenant = await TenantAsync();
        var input = CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, tenant.Shared, tenant.Secret);
        input.Instance = PortalInstance.UAT;
        var credential = await app.CreateCredentialAsync(input);

        var view = (await app.Get<ICredentials>().GetAsync(credential.Id))!;
        var report = await app.Get<IMailboxScanner>().ScanAsync(credential.Id, RequestKind.Scan);
        var import = await app.Get<IMailboxScanner>().ImportAsync(credential.MailboxId);

        Assert.False(view.ProcessedHere);
        Assert.Contains("this deployment processes Production only", report.Skipped);
        Assert.Equal(0, report.Fetched);
        Assert.Contains("no Production credentials", import.Skipped);
    }

    [Fact]
    public async Task The_test_endpoint_answers_ok_with_the_address_or_the_error_with_its_fix()
    {
        var tenant = await TenantAsync();
        var good = await app.CreateCredentialAsync(CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, tenant.Shared, tenant.Secret));
        var bad = await app.CreateCredentialAsync(CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, $"nobody@{tenant.Domain}", tenant.Secret));
        using var api = app.CreateApiClient();

        var okResponse = await api.PostAsync($"/api/v1/credentials/{good.Id}/test", null);
        var failResponse = await api.PostAsync($"/api/v1/credentials/{bad.Id}/test", null);

        Assert.Equal(HttpStatusCode.OK, okResponse.StatusCode);
        var ok = await okResponse.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(ok.GetProperty("ok").GetBoolean());
        Assert.Equal(tenant.Shared, ok.GetProperty("address").GetString());
        Assert.True(ok.TryGetProperty("error", out var none) && none.ValueKind == JsonValueKind.Null);

        Assert.Equal(HttpStatusCode.OK, failResponse.StatusCode);
        var fail = await failResponse.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(fail.GetProperty("ok").GetBoolean());
        var error = fail.GetProperty("error");
        Assert.Equal("ErrorInvalidUser", error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(Engine.Errors.KnownErrors.Find("ErrorInvalidUser")!.Fix, error.GetProperty("fix").GetString());

        var unknown = await api.PostAsync("/api/v1/credentials/999999/test", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
