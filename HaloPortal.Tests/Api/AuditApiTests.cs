using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaloPortal.Tests.Infrastructure;

namespace HaloPortal.Tests.Api;

public sealed class AuditApiTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    [Fact]
    public async Task A_backend_services_change_through_the_API_is_in_the_audit_with_who_before_and_after()
    {
        using var client = app.CreateApiClient();

        using var put = await client.PutAsJsonAsync("/api/v1/backend-services", new { incomingServiceEnabled = false });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var state = await put.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(state.GetProperty("incomingServiceEnabled").GetBoolean());
        Assert.True(state.GetProperty("schedulingServiceEnabled").GetBoolean());

        var page = await client.GetFromJsonAsync<JsonElement>("/api/v1/audit?q=BackendServices.Updated");
        var entry = Assert.Single(page.GetProperty("items").EnumerateArray(), e =>
            e.GetProperty("before").GetProperty("incomingServiceEnabled").GetBoolean() && !e.GetProperty("after").GetProperty("incomingServiceEnabled").GetBoolean());
        Assert.Equal("BackendServices.Updated", entry.GetProperty("action").GetString());
        Assert.Equal("ApiKey", entry.GetProperty("actorKind").GetString());
        Assert.Equal("configuration key #0", entry.GetProperty("actor").GetString());
        Assert.True(entry.GetProperty("before").GetProperty("incomingServiceEnabled").GetBoolean());
        Assert.False(entry.GetProperty("after").GetProperty("incomingServiceEnabled").GetBoolean());
        Assert.True(entry.GetProperty("after").GetProperty("schedulingServiceEnabled").GetBoolean());
        Assert.Equal(JsonValueKind.String, entry.GetProperty("at").ValueKind);
    }

    [Fact]
    public async Task Audit_pages_are_bounded_and_counted()
    {
        using var client = app.CreateApiClient();
        await client.PutAsJsonAsync("/api/v1/backend-services", new { schedulingServiceEnabled = false });
        await client.PutAsJsonAsync("/api/v1/backend-services", new { schedulingServiceEnabled = true });

        var page = await client.GetFromJsonAsync<JsonElement>("/api/v1/audit?pageSize=1&page=2");

        Assert.True(page.GetProperty("total").GetInt32() >= 2);
        Assert.Equal(1, page.GetProperty("items").GetArrayLength());
    }
}
