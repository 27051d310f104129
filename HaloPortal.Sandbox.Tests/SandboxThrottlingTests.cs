using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions.Authentication;

namespace HaloPortal.Sandbox.Tests;

/// <summary>A portal with a small request limit per app and mailbox, so the 429 path is reached in a few calls.</summary>
public sealed class ThrottledPortalFactory : PortalAppFactory
{
    public ThrottledPortalFactory() => Settings["Sandbox:ThrottleRequestsPerWindow"] = "5";
}

/// <summary>Exchange's limits (429 ApplicationThrottled with Retry-After), the per-tenant switch, and injected request faults.</summary>
public sealed class SandboxThrottlingTests(ThrottledPortalFactory app) : IClassFixture<ThrottledPortalFactory>
{
    [Fact]
    public async Task Over_the_request_limit_is_429_ApplicationThrottled_with_Retry_After()
    {
        var tenant = await app.CreateTenantAsync();
        using var http = await AuthorizedAsync(tenant);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(InboxUrl(tenant))).StatusCode);
        }

        var throttled = await http.GetAsync(InboxUrl(tenant));

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.InRange(throttled.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 600);
        var error = JsonDocument.Parse(await throttled.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("ApplicationThrottled", error.GetProperty("code").GetString());
        Assert.Equal("Application is over its MailboxConcurrency limit.", error.GetProperty("message").GetString());
        Assert.True(error.GetProperty("innerError").TryGetProperty("request-id", out _));

        // Another mailbox has its own budget.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{SandboxHosts.GraphBaseUrl}/users/{tenant.Shared}/mailFolders/inbox/messages")).StatusCode);
    }

    [Fact]
    public async Task Throttling_is_switched_off_per_tenant_through_the_control_API()
    {
        var tenant = await app.CreateTenantAsync();
        using var api = app.CreateApiClient();
        var toggled = await api.PutAsJsonAsync($"/sandbox/api/tenants/{tenant.TenantId}/throttling", new { enabled = false });
        Assert.Equal(HttpStatusCode.OK, toggled.StatusCode);
        using var http = await AuthorizedAsync(tenant);

        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(InboxUrl(tenant))).StatusCode);
        }

        var tenants = await api.GetFromJsonAsync<JsonElement>("/sandbox/api/tenants");
        Assert.Contains(tenants.GetProperty("items").EnumerateArray(), t => t.GetProperty("tenantId").GetGuid() == tenant.TenantId && !t.GetProperty("throttlingEnabled").GetBoolean());
    }

    [Fact]
    public async Task Throttle_fault_answers_429_with_its_Retry_After_for_count_requests()
    {
        var tenant = await app.CreateTenantAsync();
        using var api = app.CreateApiClient();
        var created = await api.PostAsJsonAsync("/sandbox/api/faults", new { mailbox = tenant.User, kind = "Throttle", count = 2, retryAfterSeconds = 7 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var graph = app.AppGraph(tenant);

        var first = await Assert.ThrowsAsync<ODataError>(() => graph.Users[tenant.User].Messages.GetAsync());
        var second = await Assert.ThrowsAsync<ODataError>(() => graph.Users[tenant.User].Messages.GetAsync());
        var third = await graph.Users[tenant.User].Messages.GetAsync();

        Assert.Equal(429, first.ResponseStatusCode);
        Assert.Equal("ApplicationThrottled", first.Error!.Code);
        Assert.Equal("7", first.ResponseHeaders["Retry-After"].Single());
        Assert.Equal(429, second.ResponseStatusCode);
        Assert.NotNull(third);
    }

    [Fact]
    public async Task Graph_SDK_default_pipeline_honours_Retry_After_and_gets_through()
    {
        var tenant = await app.CreateTenantAsync();
        await app.Control().AddFaultAsync(new SandboxFaultRequest(tenant.User, SandboxFaultKind.Throttle, Count: 1, RetryAfterSeconds: 1));
        var token = await app.AppTokenAsync(tenant);
        var provider = new BaseBearerTokenAuthenticationProvider(new StaticToken(token));
        var graph = new GraphServiceClient(GraphClientFactory.Create(finalHandler: app.Connector().CreateHandler()), provider, SandboxHosts.GraphBaseUrl);

        var messages = await graph.Users[tenant.User].Messages.GetAsync();

        Assert.NotNull(messages);
    }

    [Fact]
    public async Task FailRequests_fault_answers_its_status_until_faults_are_cleared()
    {
        var tenant = await app.CreateTenantAsync();
        using var api = app.CreateApiClient();
        await api.PostAsJsonAsync("/sandbox/api/faults", new { mailbox = tenant.User, kind = "FailRequests", status = 503 });
        using var http = await AuthorizedAsync(tenant);

        var failed = await http.GetAsync(InboxUrl(tenant));
        var listed = await api.GetFromJsonAsync<JsonElement>("/sandbox/api/faults");
        var cleared = await api.DeleteAsync("/sandbox/api/faults");
        var ok = await http.GetAsync(InboxUrl(tenant));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("ServiceUnavailable", JsonDocument.Parse(await failed.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), f => f.GetProperty("kind").GetString() == "FailRequests");
        Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    private static string InboxUrl(SandboxTenant tenant) => $"{SandboxHosts.GraphBaseUrl}/users/{tenant.User}/mailFolders/inbox/messages";

    private async Task<HttpClient> AuthorizedAsync(SandboxTenant tenant)
    {
        var http = app.RawClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", await app.AppTokenAsync(tenant));
        return http;
    }

    private sealed class StaticToken(string token) : IAccessTokenProvider
    {
        public AllowedHostsValidator AllowedHostsValidator { get; } = new([SandboxHosts.GraphHost]);

        public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(token);
    }
}
