using System.Net;
using System.Text.Json;
using HaloPortal.Tests.Infrastructure;

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
}
