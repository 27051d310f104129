using System.Net;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Subscriptions;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Security;

/// <summary>A webhook portal with small failure limits (3 per client) so a test reaches them quickly.</summary>
public sealed class LowRateLimitFactory : WebhookPortalFactory
{
    public LowRateLimitFactory()
    {
        Settings["Portal:RateLimits:WebhookFailuresPerMinute"] = "3";
        Settings["Portal:RateLimits:ApiKeyFailuresPerMinute"] = "3";
        Settings["Portal:RateLimits:SignInFailures"] = "3";
    }
}

/// <summary>Failures on the anonymous endpoints are limited per client address; other clients (Graph, people) are not slowed down.</summary>
public sealed class RateLimitTests(LowRateLimitFactory app) : IClassFixture<LowRateLimitFactory>
{
    private readonly WebhookKit _kit = new(app);

    [Fact]
    public async Task A_client_over_the_webhook_failure_limit_gets_429_while_graph_from_another_address_is_still_accepted()
    {
        var subscription = await _kit.SubscribedAsync();
        var state = await _kit.ClientStateAsync(subscription.GraphSubscriptionId);
        var message = await _kit.DeliverAsync("Rate limit: real message");
        using var attacker = ClientAddress.From(app, "127.0.0.3");

        for (var i = 0; i < 3; i++)
        {
            using var refused = await PostUnknownAsync(attacker);
            Assert.Equal(HttpStatusCode.Accepted, refused.StatusCode);
        }

        using var limited = await PostUnknownAsync(attacker);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.InRange(limited.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 60);
        using var handshake = await attacker.PostAsync("/api/graph/notifications?validationToken=echo", null);
        Assert.Equal(HttpStatusCode.TooManyRequests, handshake.StatusCode);

        // Graph (127.0.0.1) is another partition: its notification is acknowledged and committed.
        using var real = await _kit.PostAsync("/api/graph/notifications", WebhookKit.Notification(subscription.GraphSubscriptionId, state, message.GraphId));
        Assert.Equal(HttpStatusCode.Accepted, real.StatusCode);
        Assert.NotEmpty(await _kit.EmailsAsync(message));
    }

    [Fact]
    public async Task A_client_sending_real_notifications_is_never_limited()
    {
        var subscription = await _kit.SubscribedAsync();
        var state = await _kit.ClientStateAsync(subscription.GraphSubscriptionId);
        using var graph = ClientAddress.From(app, "127.0.0.6");

        for (var i = 0; i < 10; i++)
        {
            var message = await _kit.DeliverAsync($"Rate limit: busy mailbox {i}");
            using var response = await graph.PostAsync("/api/graph/notifications", Json(WebhookKit.Notification(subscription.GraphSubscriptionId, state, message.GraphId)));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
    }

    [Fact]
    public async Task Unknown_api_keys_are_limited_per_client_and_then_even_a_valid_key_is_not_checked()
    {
        using var guesser = ClientAddress.From(app, "127.0.0.4");
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/backend-services") { Headers = { { "X-Api-Key", $"guess-{i}" } } };
            Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.SendAsync(request)).StatusCode);
        }

        using var valid = new HttpRequestMessage(HttpMethod.Get, "/api/v1/backend-services") { Headers = { { "X-Api-Key", PortalAppFactory.AdminApiKey } } };
        using var limited = await guesser.SendAsync(valid);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(limited.Headers.RetryAfter?.Delta);

        using var other = app.CreateApiClient();
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/backend-services")).StatusCode);
    }

    [Fact]
    public async Task Failed_sign_ins_are_limited_per_client_and_then_even_the_right_password_is_not_checked()
    {
        const string password = "correct1horse";
        var email = $"agent-{Guid.NewGuid():N}@example.com";
        await app.Services.GetRequiredService<IAgents>().CreateAsync(new NewAgent("Rate limited agent", email, password, [PortalRoles.Agent]), Actor.System);
        using var browser = ClientAddress.From(app, "127.0.0.5");
        var other = $"nobody-{Guid.NewGuid():N}@example.com"; // not the account: its own lockout must not be what stops the attempts

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await BrowserSignIn.PostLoginAsync(browser, other, "wrong-password");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.StartsWith("The email or password is not right", BrowserSignIn.LoginError(await wrong.Content.ReadAsStringAsync()));
        }

        using var limited = await BrowserSignIn.PostLoginAsync(browser, email, password);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Matches("^Too many failed sign-in attempts from your address. Try again in 1[0-5] minutes\\.$", BrowserSignIn.LoginError(await limited.Content.ReadAsStringAsync()));

        using var elsewhere = app.CreateBrowserClient(new CookieContainer());
        await BrowserSignIn.SignInAsync(elsewhere, email, password);
    }

    private static Task<HttpResponseMessage> PostUnknownAsync(HttpClient client) =>
        client.PostAsync("/api/graph/notifications", Json(WebhookKit.Notification(Guid.NewGuid().ToString(), "guess", "AAMk-x")));

    private static StringContent Json(params object[] items) =>
        new(System.Text.Json.JsonSerializer.Serialize(new { value = items }), System.Text.Encoding.UTF8, "application/json");
}
