using System.Net;
using System.Net.Http.Json;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Hosting;

public sealed class ApiAuthenticationTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    [Fact]
    public async Task Anonymous_api_call_is_401_problem_details()
    {
        using var client = app.CreateApiClient(apiKey: null);

        var response = await client.GetAsync("/api/v1/backend-services");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Unknown_api_key_is_401()
    {
        using var client = app.CreateApiClient(apiKey: "not-a-key");

        var response = await client.GetAsync("/api/v1/backend-services");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Configured_key_reads_the_backend_service_switches()
    {
        using var client = app.CreateApiClient();

        var state = await client.GetFromJsonAsync<Dictionary<string, bool>>("/api/v1/backend-services");

        Assert.NotNull(state);
        Assert.True(state["incomingServiceEnabled"]);
        Assert.True(state["schedulingServiceEnabled"]);
    }

    [Fact]
    public async Task Anonymous_page_request_redirects_to_sign_in()
    {
        using var client = app.CreateApiClient(apiKey: null);

        var response = await client.GetAsync("/configuration/advanced/backend-services");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location?.PathAndQuery);
    }

    [Fact]
    public async Task Agent_role_key_is_403_on_administrator_calls()
    {
        var key = await app.Services.GetRequiredService<IApiKeys>().CreateAsync("agent script", PortalRoles.Agent, Actor.System);
        using var client = app.CreateApiClient(key.Key);

        var response = await client.GetAsync("/api/v1/backend-services");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/agents")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/audit")).StatusCode);
    }

    [Fact]
    public async Task Revoked_key_is_401()
    {
        var keys = app.Services.GetRequiredService<IApiKeys>();
        var key = await keys.CreateAsync("old script", PortalRoles.Administrator, Actor.System);
        using var client = app.CreateApiClient(key.Key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/backend-services")).StatusCode);

        await keys.RevokeAsync(key.Summary.Id, Actor.System);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/backend-services")).StatusCode);
    }
}
