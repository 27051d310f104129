using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaloPortal.Engine.Subscriptions;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Subscriptions;

/// <summary>Portal:PublicBaseUrl points to a closed port: Graph's handshake fails and creation is refused with the catalogued fix.</summary>
public sealed class SubscriptionHandshakeFailureTests(UnreachablePortalFactory app) : IClassFixture<UnreachablePortalFactory>
{
    [Fact]
    public async Task An_unreachable_public_address_refuses_the_subscription_with_the_fix()
    {
        var kit = new WebhookKit(app);
        var credentialId = await kit.UseWebhooksAsync();
        using var api = app.CreateApiClient();

        var response = await api.PostAsync($"/api/v1/credentials/{credentialId}/subscription", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("SubscriptionValidationFailed", problem.GetProperty("code").GetString());
        var fix = problem.GetProperty("fix").GetString()!;
        Assert.Contains("Graph could not reach http://127.0.0.1:", fix);
        Assert.Contains("/api/graph/notifications: make Portal:PublicBaseUrl a public https address that forwards /api/graph/notifications", fix);
        Assert.Null(await app.Services.GetRequiredService<ISubscriptions>().GetAsync(credentialId));
    }
}
