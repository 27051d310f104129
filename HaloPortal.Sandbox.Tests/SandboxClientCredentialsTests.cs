using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Identity.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HaloPortal.Sandbox.Tests;

/// <summary>The token endpoint's client-credentials grant through the real MSAL: secrets, certificates, federated credentials and Entra's errors.</summary>
public sealed class SandboxClientCredentialsTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    [Fact]
    public async Task Secret_value_gets_a_signed_Graph_token_with_application_roles()
    {
        var tenant = await app.CreateTenantAsync();

        var result = await app.Msal(tenant).AcquireTokenForClient([SandboxHosts.GraphDefaultScope]).ExecuteAsync();

        var jwt = new JsonWebToken(result.AccessToken);
        Assert.Equal("https://graph.microsoft.com", jwt.Audiences.Single());
        Assert.Equal($"https://login.sandbox.haloportal.invalid/{tenant.TenantId}/v2.0", jwt.Issuer);
        Assert.Equal(tenant.TenantId.ToString(), jwt.GetClaim("tid").Value);
        Assert.Equal(tenant.AppId.ToString(), jwt.GetClaim("appid").Value);
        Assert.Equal("1", jwt.GetClaim("appidacr").Value);
        Assert.Equal(["Mail.ReadWrite", "Mail.Send", "Contacts.Read", "User.Read.All"], jwt.Claims.Where(c => c.Type == "roles").Select(c => c.Value));
        Assert.False(jwt.TryGetClaim("scp", out _));
        Assert.True(jwt.ValidTo > DateTime.UtcNow.AddMinutes(50));

        var keys = await app.RawClient().GetStringAsync($"https://login.sandbox.haloportal.invalid/{tenant.TenantId}/discovery/v2.0/keys");
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(result.AccessToken, new TokenValidationParameters
        {
            IssuerSigningKeys = new JsonWebKeySet(keys).GetSigningKeys(),
            ValidIssuer = jwt.Issuer,
            ValidAudience = "https://graph.microsoft.com",
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
    }

    [Fact]
    public async Task Openid_configuration_names_the_endpoints_on_the_virtual_host()
    {
        var tenant = await app.CreateTenantAsync();

        var json = JsonDocument.Parse(await app.RawClient().GetStringAsync($"{tenant.Authority}v2.0/.well-known/openid-configuration")).RootElement;

        Assert.Equal($"{tenant.Authority}oauth2/v2.0/token", json.GetProperty("token_endpoint").GetString());
        Assert.Equal($"{tenant.Authority}discovery/v2.0/keys", json.GetProperty("jwks_uri").GetString());
        Assert.Equal($"https://login.sandbox.haloportal.invalid/{tenant.TenantId}/v2.0", json.GetProperty("issuer").GetString());
    }

    [Fact]
    public async Task Tenant_domain_works_as_authority_and_national_cloud_scope_sets_the_audience()
    {
        var tenant = await app.CreateTenantAsync();
        var msal = ConfidentialClientApplicationBuilder.Create(tenant.AppId.ToString())
            .WithAuthority(SandboxHosts.Authority(tenant.Domain)).WithInstanceDiscovery(false)
            .WithHttpClientFactory(app.Connector().MsalHttpClientFactory).WithClientSecret(tenant.Secret).Build();

        var result = await msal.AcquireTokenForClient(["https://graph.microsoft.us/.default"]).ExecuteAsync();

        Assert.Equal("https://graph.microsoft.us", new JsonWebToken(result.AccessToken).Audiences.Single());
    }

    [Fact]
    public async Task Secret_ID_instead_of_value_is_401_invalid_client_AADSTS7000215_in_Entras_exact_shape()
    {
        var tenant = await app.CreateTenantAsync();
        using var http = app.RawClient();

        var response = await http.PostAsync($"{tenant.Authority}oauth2/v2.0/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = tenant.AppId.ToString(),
            ["client_secret"] = tenant.SecretId.ToString(),
            ["grant_type"] = "client_credentials",
            ["scope"] = SandboxHosts.GraphDefaultScope,
        }));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        var description = body.GetProperty("error_description").GetString()!;
        Assert.StartsWith(
            $"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{tenant.AppId}'.\r\nTrace ID: ",
            description);
        Assert.Matches(@"\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$", description);
        Assert.Equal(7000215, body.GetProperty("error_codes")[0].GetInt32());
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$", body.GetProperty("timestamp").GetString());
        Assert.True(Guid.TryParse(body.GetProperty("trace_id").GetString(), out _));
        Assert.True(Guid.TryParse(body.GetProperty("correlation_id").GetString(), out _));
        Assert.EndsWith("error?code=7000215", body.GetProperty("error_uri").GetString());
    }

    [Fact]
    public async Task Msal_surfaces_the_secret_ID_mistake_as_invalid_client()
    {
        var tenant = await app.CreateTenantAsync();

        var ex = await Assert.ThrowsAsync<MsalServiceException>(() =>
            app.Msal(tenant, secret: tenant.SecretId.ToString()).AcquireTokenForClient([SandboxHosts.GraphDefaultScope]).ExecuteAsync());

        Assert.Equal("invalid_client", ex.ErrorCode);
        Assert.Equal(401, ex.StatusCode);
        Assert.Contains("AADSTS7000215", ex.Message);
    }

    [Fact]
    public async Task Expired_secret_is_AADSTS7000222()
    {
        var tenant = await app.CreateTenantAsync();
        var expired = await app.Control().AddSecretAsync(tenant.TenantId.ToString(), tenant.AppId, "old", DateTimeOffset.UtcNow.AddDays(-1));

        var ex = await Assert.ThrowsAsync<MsalServiceException>(() =>
            app.Msal(tenant, secret: expired.SecretValue).AcquireTokenForClient([SandboxHosts.GraphDefaultScope]).ExecuteAsync());

        Assert.Equal("invalid_client", ex.ErrorCode);
        Assert.Contains($"AADSTS7000222: The provided client secret keys for app '{tenant.AppId}' are expired.", ex.Message);
    }

    [Fact]
    public async Task Unknown_application_is_AADSTS700016()
    {
        var tenant = await app.CreateTenantAsync();
        var unknown = Guid.NewGuid();

        var ex = await Assert.ThrowsAsync<MsalServiceException>(() =>
            app.Msal(tenant, appId: unknown).AcquireTokenForClient([SandboxHosts.GraphDefaultScope]).ExecuteAsync());

        Assert.Equal("unauthorized_client", ex.ErrorCode);
        Assert.Equal(400, ex.StatusCode);
        Assert.Contains($"AADSTS700016: Application with identifier '{unknown}' was not found in the directory 'Test {tenant.Domain}'.", ex.Message);
    }

    [Fact]
    public async Task Unknown_tenant_is_AADSTS90002()
    {
        var tenant = await app.CreateTenantAsync() with { TenantId = Guid.NewGuid() };

        var ex = await Assert.ThrowsAsync<MsalServiceException>(() => app.Msal(tenant).AcquireTokenForClient([SandboxHosts.GraphDefaultScope]).ExecuteAsync());

        Assert.Contains("AADSTS90002", ex.Message);
    }

    [Fact]
    public async Task Client_credentials_without_default_scope_is_AADSTS1002012()
    {
        var tenant = await app.CreateTenantAsync();

        var ex = await Assert.ThrowsAsync<MsalServiceException>(() => app.Msal(tenant).AcquireTokenForClient(["https://graph.microsoft.com/Mail.Read"]).ExecuteAsync());

        Assert.Contains("AADSTS1002012", ex.Message);
    }

    [Fact]
    public async Task Registered_certificate_signs_a_client_assertion_and_an_unregistered_one_is_AADSTS700027()
    {
        var tenant = await app.CreateTenantAsync();
        using var registered = CreateCertificate("CN=registered");
        using var stranger = CreateCertificate("CN=stranger");
        await app.Control().AddCertificateAsync(tenant.TenantId.ToString(), tenant.AppId, Convert.ToBase64String(registered.RawData));

        var ok = await CertificateClient(tenant, registered).AcquireTokenForClient([SandboxHosts.GraphDefaultScope]).ExecuteAsync();
        var ex = await Assert.ThrowsAsync<MsalServiceException>(() => CertificateClient(tenant, stranger).AcquireTokenForClient([SandboxHosts.GraphDefaultScope]).ExecuteAsync());

        Assert.Equal("2", new JsonWebToken(ok.AccessToken).GetClaim("appidacr").Value);
        Assert.Equal("invalid_client", ex.ErrorCode);
        Assert.Contains("AADSTS700027: Client assertion contains an invalid signature. [Reason - The key was not found.", ex.Message);
    }

    [Fact]
    public async Task Federated_credential_accepts_the_registered_issuer_and_subject_only()
    {
        var tenant = await app.CreateTenantAsync();
        using var issuerKey = RSA.Create(2048);
        var key = new RsaSecurityKey(issuerKey) { KeyId = "issuer-key-1" };
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(issuerKey.ExportParameters(false)) { KeyId = key.KeyId });
        var jwks = JsonSerializer.Serialize(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, n = jwk.N, e = jwk.E, use = "sig" } } });
        await app.Control().AddFederatedCredentialAsync(tenant.TenantId.ToString(), tenant.AppId,
            new SandboxNewFederatedCredential("on-prem", "https://issuer.onprem.test", "system:serviceaccount:halo:portal", null, jwks));

        string Assertion(string subject) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://issuer.onprem.test",
            Audience = "api://AzureADTokenExchange",
            Subject = new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim("sub", subject)]),
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
        IConfidentialClientApplication Client(string subject) => ConfidentialClientApplicationBuilder.Create(tenant.AppId.ToString())
            .WithAuthority(tenant.Authority).WithInstanceDiscovery(false).WithHttpClientFactory(app.Connector().MsalHttpClientFactory)
            .WithClientAssertion((AssertionRequestOptions _) => Task.FromResult(Assertion(subject))).Build();

        var ok = await Client("system:serviceaccount:halo:portal").AcquireTokenForClient([SandboxHosts.GraphDefaultScope]).ExecuteAsync();
        var ex = await Assert.ThrowsAsync<MsalServiceException>(() => Client("someone-else").AcquireTokenForClient([SandboxHosts.GraphDefaultScope]).ExecuteAsync());

        Assert.Equal(tenant.AppId.ToString(), new JsonWebToken(ok.AccessToken).GetClaim("appid").Value);
        Assert.Contains("AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://issuer.onprem.test'. Assertion Subject: 'someone-else'.", ex.Message);
    }

    private IConfidentialClientApplication CertificateClient(SandboxTenant tenant, X509Certificate2 certificate) =>
        ConfidentialClientApplicationBuilder.Create(tenant.AppId.ToString())
            .WithAuthority(tenant.Authority).WithInstanceDiscovery(false).WithHttpClientFactory(app.Connector().MsalHttpClientFactory)
            .WithCertificate(certificate).Build();

    private static X509Certificate2 CreateCertificate(string subject)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null, X509KeyStorageFlags.Exportable | X509KeyStorageFlags.EphemeralKeySet);
    }
}
