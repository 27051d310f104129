using System.Net;
using System.Text;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Subscriptions;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Ingestion;

/// <summary>Notifications the webhook receiver rejects are listed by <see cref="IInboundLog.RejectedNotificationsAsync"/>.</summary>
public sealed class RejectedNotificationQueryTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private readonly WebhookKit _kit = new(app);

    private IInboundLog Log => app.Services.GetRequiredService<IInboundLog>();

    [Fact]
    public async Task A_notification_for_an_unknown_subscription_is_listed_newest_first_with_its_reason_and_raw_json()
    {
        var older = Guid.NewGuid().ToString();
        var newer = Guid.NewGuid().ToString();
        var postedFrom = DateTimeOffset.UtcNow;

        Assert.Equal(HttpStatusCode.Accepted, (await _kit.PostAsync("/api/graph/notifications", WebhookKit.Notification(older, "anything", "AAMk-older"))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _kit.PostAsync("/api/graph/notifications", WebhookKit.Notification(newer, "anything", "AAMk-newer"))).StatusCode);

        var page = await Log.RejectedNotificationsAsync(new RejectedNotificationQuery(From: postedFrom, PageSize: 1));
        Assert.Equal(2, page.Total);
        var row = Assert.Single(page.Items);
        Assert.Equal(newer, row.SubscriptionId);
        Assert.Equal(RequestKind.Webhook, row.Kind);
        Assert.Equal(0, row.MailboxId);
        Assert.Null(row.MailboxName);
        Assert.StartsWith($"Unknown subscription {newer}", row.Reason);
        var raw = await Log.GetRequestRawAsync(row.Id);
        Assert.Contains($"\"subscriptionId\":\"{newer}\"", Encoding.UTF8.GetString(raw!.Content));
        // The size is the stored notification's; the answer masks its clientState ("anything"), so it is no longer as long.
        Assert.Contains($"\"clientState\":\"{InboundLog.Masked}\"", Encoding.UTF8.GetString(raw.Content));
        Assert.DoesNotContain("anything", Encoding.UTF8.GetString(raw.Content));

        var second = await Log.RejectedNotificationsAsync(new RejectedNotificationQuery(From: postedFrom, Page: 2, PageSize: 1));
        Assert.Equal(older, Assert.Single(second.Items).SubscriptionId);
        var later = await Log.RejectedNotificationsAsync(new RejectedNotificationQuery(From: DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.DoesNotContain(later.Items, r => r.SubscriptionId == newer || r.SubscriptionId == older);
    }

    [Fact]
    public async Task A_lifecycle_notification_for_an_unknown_subscription_is_listed_too()
    {
        var unknown = Guid.NewGuid().ToString();
        var lifecycle = new { subscriptionId = unknown, lifecycleEvent = "reauthorizationRequired", clientState = "anything", tenantId = Guid.Empty.ToString() };

        Assert.Equal(HttpStatusCode.Accepted, (await _kit.PostAsync("/api/graph/lifecycle", lifecycle)).StatusCode);

        var page = await Log.RejectedNotificationsAsync(new RejectedNotificationQuery(PageSize: 500));
        var row = Assert.Single(page.Items, r => r.SubscriptionId == unknown);
        Assert.Equal(RequestKind.Lifecycle, row.Kind);
        Assert.Contains("not one of this portal's subscriptions", row.Reason);
    }
}
