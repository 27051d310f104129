using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaloPortal.Tests.Infrastructure;

namespace HaloPortal.Tests.Api;

public sealed class AgentsApiTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    [Fact]
    public async Task Create_list_and_update_an_agent()
    {
        using var client = app.CreateApiClient();
        var email = $"api-{Guid.NewGuid():N}@example.com";

        using var created = await client.PostAsJsonAsync("/api/v1/agents", new { displayName = "Api Agent", email, password = "api1agent2pass", roles = new[] { "Agent" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var agent = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = agent.GetProperty("id").GetString();
        Assert.Equal($"/api/v1/agents/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("Active", agent.GetProperty("status").GetString());
        Assert.Equal("Agent", agent.GetProperty("roles")[0].GetString());
        Assert.False(agent.TryGetProperty("passwordHash", out _));

        var list = await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents?q={email}");
        Assert.Equal(1, list.GetProperty("total").GetInt32());
        Assert.Equal(email, list.GetProperty("items")[0].GetProperty("email").GetString());

        using var updated = await client.PutAsJsonAsync($"/api/v1/agents/{id}", new { roles = new[] { "Support", "Agent" }, disabled = true });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var after = await updated.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Api Agent", after.GetProperty("displayName").GetString());
        Assert.Equal(["Agent", "Support"], after.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("Disabled", after.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Bad_input_is_a_problem_naming_the_field()
    {
        using var client = app.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/api/v1/agents", new { displayName = "X", email = "nope", password = "api1agent2pass", roles = new[] { "Agent" } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("'nope' is not an email address. Enter an address like name@example.com.", problem.GetProperty("errors").GetProperty("email")[0].GetString());
    }

    [Fact]
    public async Task The_last_administrator_cannot_be_demoted_through_the_API()
    {
        using var client = app.CreateApiClient();
        var existing = await client.GetFromJsonAsync<JsonElement>("/api/v1/agents?pageSize=500");
        Assert.DoesNotContain(existing.GetProperty("items").EnumerateArray(), a => a.GetProperty("roles").EnumerateArray().Any(r => r.GetString() == "Administrator"));
        using var created = await client.PostAsJsonAsync("/api/v1/agents",
            new { displayName = "Only Admin", email = $"admin-{Guid.NewGuid():N}@example.com", password = "api1agent2pass", roles = new[] { "Administrator" } });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        using var response = await client.PutAsJsonAsync($"/api/v1/agents/{id}", new { roles = new[] { "Agent" } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("last enabled administrator", problem.GetProperty("errors").GetProperty("roles")[0].GetString());
    }

    [Fact]
    public async Task Unknown_agent_is_404()
    {
        using var client = app.CreateApiClient();

        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsJsonAsync("/api/v1/agents/missing", new { disabled = true })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/agents/missing")).StatusCode);
    }

    [Fact]
    public async Task Notification_preferences_are_read_and_set_through_the_API_and_audited()
    {
        using var client = app.CreateApiClient();
        using var created = await client.PostAsJsonAsync("/api/v1/agents",
            new { displayName = "Prefs Agent", email = $"prefs-{Guid.NewGuid():N}@example.com", password = "api1agent2pass", roles = new[] { "Agent" } });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        var url = $"/api/v1/agents/{id}/notification-preferences";

        var initial = await client.GetFromJsonAsync<JsonElement>(url);
        Assert.False(initial.GetProperty("emailProcessingErrors").GetBoolean());
        Assert.False(initial.GetProperty("integrationErrors").GetBoolean());

        using var set = await client.PutAsJsonAsync(url, new { emailProcessingErrors = true });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var answer = await set.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(answer.GetProperty("emailProcessingErrors").GetBoolean());
        Assert.False(answer.GetProperty("integrationErrors").GetBoolean());

        using var second = await client.PutAsJsonAsync(url, new { integrationErrors = true });
        var both = await client.GetFromJsonAsync<JsonElement>(url);
        Assert.True(both.GetProperty("emailProcessingErrors").GetBoolean()); // an omitted member keeps its value
        Assert.True(both.GetProperty("integrationErrors").GetBoolean());

        var audit = await client.GetFromJsonAsync<JsonElement>($"/api/v1/audit?entityType=PortalUser&q={id}");
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), e => e.GetProperty("action").GetString() == "Agent.NotificationPreferencesUpdated");
    }

    [Fact]
    public async Task Notification_preferences_of_an_unknown_agent_are_404_and_need_an_administrator_key()
    {
        using var client = app.CreateApiClient();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/agents/missing/notification-preferences")).StatusCode);
        using var put = await client.PutAsJsonAsync("/api/v1/agents/missing/notification-preferences", new { integrationErrors = true });
        Assert.Equal(HttpStatusCode.NotFound, put.StatusCode);
        Assert.Equal("application/problem+json", put.Content.Headers.ContentType?.MediaType);

        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/agents/missing/notification-preferences")).StatusCode);
    }
}
