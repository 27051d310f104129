using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using HaloPortal.Engine.Data;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Identity.Client;

namespace HaloPortal.Sandbox.Tests;

/// <summary>The control API over HTTP with an administrator API key, and the seeded demo tenant.</summary>
public sealed class SandboxControlApiTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    [Fact]
    public async Task Control_API_needs_an_administrator_key()
    {
        using var anonymous = app.CreateApiClient(apiKey: null);

        var response = await anonymous.GetAsync("/sandbox/api/tenants");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_tenant_set_up_over_HTTP_works_with_MSAL_and_Graph()
    {
        using var api = app.CreateApiClient();
        var domain = $"api{Guid.NewGuid():N}"[..12] + ".sandbox";

        var tenant = await ReadAsync(await api.PostAsJsonAsync("/sandbox/api/tenants", new { displayName = "Fabrikam", defaultDomain = domain }));
        var tenantId = tenant.GetProperty("tenantId").GetGuid();
        Assert.Equal(domain, tenant.GetProperty("defaultDomain").GetString());
        var user = await ReadAsync(await api.PostAsJsonAsync($"/sandbox/api/tenants/{tenantId}/users",
            new { userPrincipalName = $"megan@{domain}", displayName = "Megan", password = "Pass-word-123", mailboxType = "Licensed" }));
        var shared = await ReadAsync(await api.PostAsJsonAsync($"/sandbox/api/tenants/{tenantId}/users",
            new { userPrincipalName = $"helpdesk@{domain}", displayName = "Helpdesk", mailboxType = "Shared", delegates = new[] { $"megan@{domain}" } }));
        Assert.True(user.GetProperty("id").TryGetGuid(out _));
        Assert.Equal($"helpdesk@{domain}", shared.GetProperty("userPrincipalName").GetString());
        var application = await ReadAsync(await api.PostAsJsonAsync($"/sandbox/api/tenants/{tenantId}/applications", new
        {
            displayName = "Fabrikam helpdesk",
            redirectUris = new[] { "https://helpdesk.fabrikam.test/authcallback" },
            applicationPermissions = new[] { "Mail.ReadWrite", "Mail.Send" },
            delegatedPermissions = new[] { "Mail.ReadWrite" },
            adminConsent = true,
        }));
        var appId = application.GetProperty("appId").GetGuid();
        var secret = await ReadAsync(await api.PostAsJsonAsync($"/sandbox/api/tenants/{tenantId}/applications/{appId}/secrets",
            new { displayName = "ops", expiresAt = DateTimeOffset.UtcNow.AddDays(10) }));
        Assert.Matches(@"^[A-Za-z]{3}\dQ~.{34}$", secret.GetProperty("secretValue").GetString());
        using var rsa = RSA.Create(2048);
        var certificate = new CertificateRequest("CN=fabrikam", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(5));
        var thumbprint = await ReadAsync(await api.PostAsJsonAsync($"/sandbox/api/tenants/{tenantId}/applications/{appId}/certificates",
            new { certificate = certificate.ExportCertificatePem() }));
        Assert.Equal(certificate.Thumbprint, thumbprint.GetProperty("thumbprint").GetString());
        var policy = await api.PostAsJsonAsync($"/sandbox/api/tenants/{tenantId}/access-policies", new { appId, allowedMailboxes = new[] { $"helpdesk@{domain}" } });
        Assert.Equal(HttpStatusCode.Created, policy.StatusCode);

        var mime = SandboxKit.Mime("client@external.test", $"helpdesk@{domain}", "Over HTTP", messageId: "http-1@external.test");
        var delivered = await ReadAsync(await api.PostAsync($"/sandbox/api/mailboxes/helpdesk@{domain}/messages?folder=inbox",
            new StringContent(mime, Encoding.UTF8, "message/rfc822")));
        Assert.Equal("<http-1@external.test>", delivered.GetProperty("internetMessageId").GetString());
        var contacts = await ReadAsync(await api.PostAsJsonAsync($"/sandbox/api/mailboxes/helpdesk@{domain}/contacts",
            new[] { new { givenName = "Ann", surname = "Lee", emailAddresses = new[] { new { address = "ann@external.test" } } } }));
        Assert.Single(contacts.GetProperty("ids").EnumerateArray());
        var listed = await api.GetFromJsonAsync<JsonElement>($"/sandbox/api/mailboxes/helpdesk@{domain}/folders/inbox/messages");
        var item = Assert.Single(listed.GetProperty("items").EnumerateArray());
        Assert.Equal(delivered.GetProperty("id").GetString(), item.GetProperty("id").GetString());
        Assert.Equal("Over HTTP", item.GetProperty("subject").GetString());
        Assert.False(item.GetProperty("isRead").GetBoolean());

        var sandbox = new SandboxTenant(tenantId, domain, appId, secret.GetProperty("secretValue").GetString()!, secret.GetProperty("secretId").GetGuid(),
            $"megan@{domain}", "Pass-word-123", $"helpdesk@{domain}", "https://helpdesk.fabrikam.test/authcallback");
        var messages = await app.AppGraph(sandbox).Users[$"helpdesk@{domain}"].MailFolders["inbox"].Messages.GetAsync();
        Assert.Equal("Over HTTP", Assert.Single(messages!.Value!).Subject);
    }

    [Fact]
    public async Task Bad_input_is_a_400_problem_naming_the_field_and_unknown_mailboxes_are_404()
    {
        using var api = app.CreateApiClient();

        var bad = await api.PostAsJsonAsync("/sandbox/api/tenants", new { displayName = "x", defaultDomain = "not a domain" });
        var missing = await api.PostAsync("/sandbox/api/mailboxes/nobody@nowhere.sandbox/messages", new StringContent("Subject: x\r\n\r\nx", Encoding.UTF8, "message/rfc822"));

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("contoso.sandbox", problem.GetProperty("errors").GetProperty("defaultDomain")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_demo_tenant_is_seeded_once_and_its_credentials_work()
    {
        var demoService = app.Services.GetRequiredService<ISandboxDemo>();
        var demo = await demoService.GetAsync();
        Assert.NotNull(demo);
        foreach (var task in app.Services.GetServices<IStartupTask>())
        {
            await task.RunAsync(CancellationToken.None);
        }

        var tenants = await app.Control().ListTenantsAsync();
        var contoso = Assert.Single(tenants, t => t.DefaultDomain == "contoso.sandbox");
        Assert.Equal("Contoso (sandbox)", contoso.DisplayName);
        Assert.Equal(demo.TenantId, contoso.TenantId);
        Assert.Equal(demo, await demoService.GetAsync());
        var apps = await app.Control().ListApplicationsAsync(demo.TenantId.ToString());
        var registration = Assert.Single(apps);
        Assert.Equal("HaloPortal demo", registration.DisplayName);
        Assert.Contains("http://localhost/authcallback", registration.RedirectUris);
        Assert.Equal(["Mail.ReadWrite", "Mail.Send", "Contacts.Read"], registration.ApplicationPermissions);

        var msal = ConfidentialClientApplicationBuilder.Create(demo.AppId.ToString()).WithAuthority(demo.Authority).WithInstanceDiscovery(false)
            .WithHttpClientFactory(app.Connector().MsalHttpClientFactory).WithClientSecret(demo.ClientSecret).Build();
        var token = await msal.AcquireTokenForClient([SandboxHosts.GraphDefaultScope]).ExecuteAsync();
        var graph = app.Graph(_ => Task.FromResult(token.AccessToken));
        Assert.NotNull(await graph.Users[demo.SharedMailbox].MailFolders["inbox"].Messages.GetAsync());

        var users = await app.Control().ListUsersAsync(demo.TenantId.ToString());
        Assert.Equal([demo.UserPrincipalName], users.Single(u => u.UserPrincipalName == demo.SharedMailbox).Delegates);
        var tenant = new SandboxTenant(demo.TenantId, demo.DefaultDomain, demo.AppId, demo.ClientSecret, Guid.Empty, demo.UserPrincipalName, demo.UserPassword, demo.SharedMailbox,
            "http://localhost:5080/authcallback");
        var delegated = await app.DelegatedTokenAsync(tenant, ["https://graph.microsoft.com/Mail.ReadWrite.Shared"]);
        Assert.NotNull(await app.Graph(_ => Task.FromResult(delegated.AccessToken)).Users[demo.SharedMailbox].Messages.GetAsync());
    }

    [Fact]
    public async Task The_control_API_is_in_the_OpenAPI_document_and_the_emulated_services_are_not()
    {
        using var api = app.CreateApiClient(apiKey: null);

        var document = await api.GetStringAsync("/openapi/v1.json");

        Assert.Contains("/sandbox/api/faults", document);
        Assert.Contains("/sandbox/api/mailboxes/{address}/messages", document);
        Assert.DoesNotContain("/sandbox/graph", document);
        Assert.DoesNotContain("oauth2/v2.0/token", document);
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}

/// <summary>A portal with the sandbox switched off (as in Production by default).</summary>
public sealed class SandboxDisabledPortalFactory : PortalAppFactory
{
    public SandboxDisabledPortalFactory() => Settings["Sandbox:Enabled"] = "false";
}

public sealed class SandboxDisabledTests(SandboxDisabledPortalFactory app) : IClassFixture<SandboxDisabledPortalFactory>
{
    [Theory]
    [InlineData("/sandbox/login/contoso.sandbox/v2.0/.well-known/openid-configuration")]
    [InlineData("/sandbox/graph/v1.0/users")]
    [InlineData("/sandbox/api/tenants")]
    public async Task Every_sandbox_route_is_404_when_disabled(string path)
    {
        using var api = app.CreateApiClient();
        using var anonymous = app.CreateApiClient(apiKey: null);

        var response = await api.GetAsync(path);
        var anonymousResponse = await anonymous.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, anonymousResponse.StatusCode);
        Assert.Null(app.Services.GetService<ISandboxControl>());
        Assert.False(File.Exists(Path.Combine(app.DataDirectory, "sandbox.db")));
    }
}
