using System.Net;
using System.Text.Json;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Hosting;

/// <summary>A portal node with a configured name.</summary>
public sealed class NamedNodePortalFactory : PortalAppFactory
{
    public NamedNodePortalFactory() => Settings["Portal:Node:Name"] = "node-health";
}

/// <summary><c>GET /health</c> tells which node answered and what it runs on (the database provider and Hangfire's storage).</summary>
public sealed class HealthTests(NamedNodePortalFactory app) : IClassFixture<NamedNodePortalFactory>
{
    [Fact]
    public async Task Health_is_anonymous_json_naming_the_configured_node_its_instance_the_database_provider_and_the_hangfire_storage()
    {
        using var client = app.CreateApiClient(apiKey: null);

        using var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        Assert.Equal("Healthy", root.GetProperty("status").GetString());
        Assert.Equal("node-health", root.GetProperty("node").GetString());
        Assert.Matches("^[0-9a-f]{32}$", root.GetProperty("instance").GetString());
        Assert.Equal(TestProvider.IsPostgreSql ? "PostgreSql" : "Sqlite", root.GetProperty("database").GetString());
        Assert.Equal(TestProvider.IsPostgreSql ? "PostgreSql" : "InMemory", root.GetProperty("hangfireStorage").GetString());
        var check = Assert.Single(root.GetProperty("checks").EnumerateArray());
        Assert.Equal("database", check.GetProperty("name").GetString());
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_detail_is_for_administrators_and_reports_each_mailbox()
    {
        using var anonymous = app.CreateApiClient(apiKey: null);
        using var refused = await anonymous.GetAsync("/health/detail");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var agentKey = await app.Services.GetRequiredService<IApiKeys>().CreateAsync("monitoring", PortalRoles.Agent, Actor.System);
        using var agent = app.CreateApiClient(agentKey.Key);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/health/detail")).StatusCode);
        Assert.Null((await new SandboxMail(app).ImportAsync()).Error);

        using var admin = app.CreateApiClient();
        using var response = await admin.GetAsync("/health/detail");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        Assert.Equal("Healthy", root.GetProperty("status").GetString());
        Assert.Equal("node-health", root.GetProperty("node").GetString());
        var demo = Assert.Single(root.GetProperty("mailboxes").EnumerateArray(), m => m.GetProperty("id").GetInt32() == SandboxMail.DemoMailboxId);
        Assert.True(demo.GetProperty("connected").GetBoolean());
        Assert.Equal("Connected", demo.GetProperty("credentialStatus").GetString());
        var lastRead = demo.GetProperty("lastSuccessfulRead").GetDateTimeOffset();
        Assert.InRange(lastRead, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow);
        Assert.Equal(JsonValueKind.Null, demo.GetProperty("lastError").ValueKind);
        Assert.Equal(JsonValueKind.Null, demo.GetProperty("throttledUntil").ValueKind);
        Assert.Equal(0, demo.GetProperty("backlog").GetProperty("pending").GetInt32());
        Assert.True(demo.TryGetProperty("subscriptionExpiresAt", out _));
        Assert.True(demo.TryGetProperty("credentialExpiresAt", out _));
        // Never resynced (Graph kept the delta sync state): present, and null.
        Assert.Equal(JsonValueKind.Null, demo.GetProperty("lastResyncAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, demo.GetProperty("lastResyncNote").ValueKind);
        // Read by a scan, never through a webhook: present, and null.
        Assert.Equal(JsonValueKind.Null, demo.GetProperty("lastWebhookRead").ValueKind);
    }
}
