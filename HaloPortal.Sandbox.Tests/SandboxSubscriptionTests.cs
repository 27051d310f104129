using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Sandbox;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace HaloPortal.Sandbox.Tests;

/// <summary>Subscriptions: validation handshake, expiry rules, change and lifecycle notifications, retries and notification faults.</summary>
public sealed class SandboxSubscriptionTests(FakeClockPortalFactory app) : IClassFixture<FakeClockPortalFactory>
{
    [Fact]
    public async Task Create_runs_the_handshake_raises_short_expiry_to_45_minutes_and_caps_renewal_at_the_maximum()
    {
        var tenant = await app.CreateTenantAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var graph = app.AppGraph(tenant);
        var now = app.Clock.GetUtcNow();

        var created = await graph.Subscriptions.PostAsync(new Subscription
        {
            ChangeType = "created",
            NotificationUrl = receiver.NotifyUrl,
            LifecycleNotificationUrl = receiver.LifecycleUrl,
            Resource = $"users/{tenant.User}/mailFolders('inbox')/messages",
            ExpirationDateTime = now.AddMinutes(10),
            ClientState = "state-1",
        });

        Assert.Equal(2, receiver.Validations);
        Assert.Equal(now.AddMinutes(45), created!.ExpirationDateTime);
        Assert.Equal(tenant.AppId.ToString(), created.ApplicationId);
        Assert.Equal("state-1", created.ClientState);
        Assert.Contains((await graph.Subscriptions.GetAsync())!.Value!, s => s.Id == created.Id);

        var renewed = await graph.Subscriptions[created.Id].PatchAsync(new Subscription { ExpirationDateTime = now.AddMinutes(10_080) });
        Assert.Equal(now.AddMinutes(10_080), renewed!.ExpirationDateTime);
        var tooLong = await Assert.ThrowsAsync<ODataError>(() => graph.Subscriptions[created.Id].PatchAsync(new Subscription { ExpirationDateTime = now.AddMinutes(10_090) }));
        Assert.Equal(400, tooLong.ResponseStatusCode);
        Assert.Equal("ExtensionError", tooLong.Error!.Code);
        Assert.Equal("Subscription expiration can only be 10080 minutes in the future.", tooLong.Error.Message);

        await graph.Subscriptions[created.Id].DeleteAsync();
        var gone = await Assert.ThrowsAsync<ODataError>(() => graph.Subscriptions[created.Id].GetAsync());
        Assert.Equal(404, gone.ResponseStatusCode);
    }

    [Theory]
    [InlineData("Status500", "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.")]
    [InlineData("WrongToken", "Subscription validation request failed. Response must exactly match validationToken query parameter.")]
    public async Task A_failed_handshake_refuses_the_subscription_with_Graphs_error(string handshake, string message)
    {
        var tenant = await app.CreateTenantAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Handshake = handshake;

        var ex = await Assert.ThrowsAsync<ODataError>(() => app.AppGraph(tenant).Subscriptions.PostAsync(NewSubscription(tenant, receiver)));

        Assert.Equal(400, ex.ResponseStatusCode);
        Assert.Equal("InvalidRequest", ex.Error!.Code);
        Assert.Equal(message, ex.Error.Message);
    }

    [Fact]
    public async Task A_new_message_in_the_folder_is_notified_in_the_documented_shape()
    {
        var tenant = await app.CreateTenantAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var graph = app.AppGraph(tenant);
        var subscription = await graph.Subscriptions.PostAsync(NewSubscription(tenant, receiver));

        var delivered = await app.DeliverAsync(tenant.User, SandboxKit.Mime("customer@external.test", tenant.User, "Notify me"));

        var body = await receiver.NextAsync();
        var item = Assert.Single(body["value"]!.AsArray())!.AsObject();
        Assert.Equal(subscription!.Id, item["subscriptionId"]!.GetValue<string>());
        Assert.Equal("created", item["changeType"]!.GetValue<string>());
        Assert.Equal("secret-state", item["clientState"]!.GetValue<string>());
        Assert.Equal(tenant.TenantId.ToString(), item["tenantId"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(item["subscriptionExpirationDateTime"]!.GetValue<string>(), out _));
        var user = await graph.Users[tenant.User].GetAsync();
        Assert.Equal($"Users/{user!.Id}/Messages/{delivered.Id}", item["resource"]!.GetValue<string>());
        var resourceData = item["resourceData"]!.AsObject();
        Assert.Equal("#Microsoft.Graph.Message", resourceData["@odata.type"]!.GetValue<string>());
        Assert.Equal($"Users/{user.Id}/Messages/{delivered.Id}", resourceData["@odata.id"]!.GetValue<string>());
        Assert.StartsWith("W/\"", resourceData["@odata.etag"]!.GetValue<string>());
        Assert.Equal(delivered.Id, resourceData["id"]!.GetValue<string>());

        // The notified id reads back through Graph.
        Assert.Equal("Notify me", (await graph.Users[tenant.User].Messages[delivered.Id].GetAsync())!.Subject);
    }

    [Fact]
    public async Task A_failed_delivery_is_retried_after_back_off_on_the_injected_clock()
    {
        var tenant = await app.CreateTenantAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var subscription = await app.AppGraph(tenant).Subscriptions.PostAsync(NewSubscription(tenant, receiver));
        receiver.FailNext(1);

        await app.DeliverAsync(tenant.User, SandboxKit.Mime("customer@external.test", tenant.User, "Retry me"));
        await SandboxKit.WaitUntilAsync(() => Stats(subscription!.Id).Result.FailedCount == 1, because: "the first delivery fails");
        Assert.False(receiver.TryNext(out _));

        var arrived = await AdvanceUntilAsync(receiver, TimeSpan.FromSeconds(11));

        Assert.Equal("created", arrived["value"]![0]!["changeType"]!.GetValue<string>());
        Assert.Equal(2, receiver.Attempts);
        await SandboxKit.WaitUntilAsync(() => Stats(subscription!.Id).Result.DeliveredCount == 1, because: "the retry is recorded as delivered");
    }

    [Fact]
    public async Task Drop_and_delay_faults_hold_back_notifications()
    {
        var tenant = await app.CreateTenantAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var subscription = await app.AppGraph(tenant).Subscriptions.PostAsync(NewSubscription(tenant, receiver));
        using var api = app.CreateApiClient();
        await api.PostAsJsonAsync("/sandbox/api/faults", new { mailbox = tenant.User, kind = "DropNotifications", count = 1 });

        await app.DeliverAsync(tenant.User, SandboxKit.Mime("a@external.test", tenant.User, "Dropped"));
        var second = await app.DeliverAsync(tenant.User, SandboxKit.Mime("a@external.test", tenant.User, "Delivered"));
        Assert.Equal(second.Id, (await receiver.NextAsync())["value"]![0]!["resourceData"]!["id"]!.GetValue<string>());
        // The receiver has the POST before the sandbox records its answer: until then that notification still counts as pending.
        await SandboxKit.WaitUntilAsync(() => Stats(subscription!.Id).Result.DeliveredCount == 1, because: "the delivered notification is recorded");

        await api.PostAsJsonAsync("/sandbox/api/faults", new { mailbox = tenant.User, kind = "DelayNotifications", count = 1, delaySeconds = 120 });
        var delayed = await app.DeliverAsync(tenant.User, SandboxKit.Mime("a@external.test", tenant.User, "Delayed"));
        Assert.Equal(1, (await Stats(subscription!.Id)).PendingCount);
        Assert.False(receiver.TryNext(out _));

        var arrived = await AdvanceUntilAsync(receiver, TimeSpan.FromSeconds(121));
        Assert.Equal(delayed.Id, arrived["value"]![0]!["resourceData"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Lifecycle_events_are_sent_to_the_lifecycle_url_and_subscriptionRemoved_removes_it()
    {
        var tenant = await app.CreateTenantAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var graph = app.AppGraph(tenant);
        var subscription = await graph.Subscriptions.PostAsync(NewSubscription(tenant, receiver));
        using var api = app.CreateApiClient();

        var reauthorize = await api.PostAsJsonAsync($"/sandbox/api/subscriptions/{subscription!.Id}/lifecycle", new { lifecycleEvent = "reauthorizationRequired" });
        var first = await receiver.NextAsync();
        await api.PostAsJsonAsync($"/sandbox/api/subscriptions/{subscription.Id}/lifecycle", new { lifecycleEvent = "subscriptionRemoved" });
        // Delivery is at least once (as in Graph): a repeated reauthorizationRequired may come first.
        var second = await receiver.NextAsync();
        while (second["value"]![0]!["lifecycleEvent"]!.GetValue<string>() == "reauthorizationRequired")
        {
            second = await receiver.NextAsync();
        }

        Assert.Equal(HttpStatusCode.Accepted, reauthorize.StatusCode);
        Assert.Equal("lifecycle", first["kind"]!.GetValue<string>());
        Assert.Equal("reauthorizationRequired", first["value"]![0]!["lifecycleEvent"]!.GetValue<string>());
        Assert.Equal(subscription.Id, first["value"]![0]!["subscriptionId"]!.GetValue<string>());
        Assert.Equal("secret-state", first["value"]![0]!["clientState"]!.GetValue<string>());
        Assert.Equal("subscriptionRemoved", second["value"]![0]!["lifecycleEvent"]!.GetValue<string>());
        Assert.Equal(404, (await Assert.ThrowsAsync<ODataError>(() => graph.Subscriptions[subscription.Id].GetAsync())).ResponseStatusCode);
    }

    private Subscription NewSubscription(SandboxTenant tenant, WebhookReceiver receiver) => new()
    {
        ChangeType = "created",
        NotificationUrl = receiver.NotifyUrl,
        LifecycleNotificationUrl = receiver.LifecycleUrl,
        Resource = $"/users/{tenant.User}/mailFolders/inbox/messages",
        ExpirationDateTime = app.Clock.GetUtcNow().AddMinutes(10_080),
        ClientState = "secret-state",
    };

    private async Task<SandboxSubscriptionInfo> Stats(string? id) =>
        (await app.Control().ListSubscriptionsAsync()).Single(s => s.Id == Guid.Parse(id!));

    /// <summary>Moves the fake clock until the dispatcher's timer fires and the notification arrives (real-time deadline).</summary>
    private async Task<JsonObject> AdvanceUntilAsync(WebhookReceiver receiver, TimeSpan step)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            app.Clock.Advance(step);
            try
            {
                return await receiver.NextAsync(TimeSpan.FromMilliseconds(300));
            }
            catch (TimeoutException)
            {
                // The dispatcher may have armed its timer after this advance; move the clock again.
            }
        }

        throw new TimeoutException("The notification was not delivered after moving the clock.");
    }
}
