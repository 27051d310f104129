using System.Net;
using System.Text;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Tests.Subscriptions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Security;

/// <summary>Refused notification items are counted, a bounded sample of them is kept, and unknown ids are not looked up twice.</summary>
public sealed class WebhookRejectionTests(WebhookPortalFactory app) : IClassFixture<WebhookPortalFactory>
{
    private readonly WebhookKit _kit = new(app);

    private IInboundLog Log => app.Services.GetRequiredService<IInboundLog>();

    [Fact]
    public async Task A_batch_over_the_item_cap_is_refused_with_413_and_nothing_is_recorded()
    {
        var max = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WebhookOptions>>().Value.MaxItemsPerBatch;
        var before = await RowsAsync();
        var refusedBefore = (await Log.RejectedNotificationsAsync(new RejectedNotificationQuery())).Refused!.Total;

        using var response = await _kit.PostAsync("/api/graph/notifications",
            Enumerable.Range(0, max + 1).Select(_ => WebhookKit.Notification(Guid.NewGuid().ToString(), "guess", "AAMk1")).ToArray());

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("MaxItemsPerBatch", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await RowsAsync());
        Assert.Equal(refusedBefore, (await Log.RejectedNotificationsAsync(new RejectedNotificationQuery())).Refused!.Total);
    }

    [Fact]
    public async Task Refused_items_are_all_counted_by_reason_but_only_the_newest_are_kept_for_the_rejected_tab()
    {
        var subscription = await _kit.SubscribedAsync();
        var before = (await Log.RejectedNotificationsAsync(new RejectedNotificationQuery())).Refused!;
        var unknown = Enumerable.Range(0, 70).Select(_ => Guid.NewGuid().ToString()).ToList();

        using var response = await _kit.PostAsync("/api/graph/notifications",
            [.. unknown.Select(id => WebhookKit.Notification(id, "guess", "AAMk-" + id)), WebhookKit.Notification(subscription.GraphSubscriptionId, "forged", "AAMk-forged")]);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var page = await Log.RejectedNotificationsAsync(new RejectedNotificationQuery(PageSize: 500));
        Assert.Equal(before.UnknownSubscription + 70, page.Refused!.UnknownSubscription);
        Assert.Equal(before.ClientStateMismatch + 1, page.Refused.ClientStateMismatch);
        Assert.Equal(50, page.Total);
        Assert.Equal(50, page.Items.Count);
        Assert.Equal(subscription.GraphSubscriptionId, page.Items[0].SubscriptionId); // newest first
        Assert.StartsWith("The clientState does not match", page.Items[0].Reason);
        Assert.Equal(unknown[^1], page.Items[1].SubscriptionId);
        Assert.DoesNotContain(page.Items, r => r.SubscriptionId == unknown[0]);
        var raw = await Log.GetRequestRawAsync(page.Items[1].Id);
        Assert.Contains($"\"subscriptionId\":\"{unknown[^1]}\"", Encoding.UTF8.GetString(raw!.Content));
        Assert.Equal(50, await RowsAsync());
    }

    [Fact]
    public async Task An_unknown_subscription_id_is_looked_up_in_the_database_once_then_remembered()
    {
        var cache = app.Services.GetRequiredService<SubscriptionCache>();
        var id = Guid.NewGuid().ToString();
        using var first = await _kit.PostAsync("/api/graph/notifications", WebhookKit.Notification(id, "guess", "AAMk-1"));
        var lookups = cache.DatabaseLookups;

        using var again = await _kit.PostAsync("/api/graph/notifications", WebhookKit.Notification(id, "guess", "AAMk-2"), WebhookKit.Notification(id, "guess", "AAMk-3"));
        Assert.Equal(lookups, cache.DatabaseLookups);

        using var other = await _kit.PostAsync("/api/graph/notifications", WebhookKit.Notification(Guid.NewGuid().ToString(), "guess", "AAMk-4"));
        Assert.Equal(lookups + 1, cache.DatabaseLookups);
        Assert.All(new[] { first, again, other }, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
    }

    [Fact]
    public void Text_from_outside_is_logged_on_one_line_and_bounded()
    {
        var clean = Engine.Portal.LogText.Clean("sub-1\r\n2026-12-05 INFO forged line\u2028\u0000" + new string('x', 1000));

        Assert.DoesNotContain(clean, char.IsControl);
        Assert.DoesNotContain('\u2028', clean);
        Assert.StartsWith("sub-1??2026-12-05 INFO forged line??", clean);
        Assert.Equal(Engine.Portal.LogText.DefaultMax + 1, clean.Length);
        Assert.EndsWith("…", clean);
    }

    private Task<int> RowsAsync() =>
        _kit.QueryAsync(db => db.Set<InboundRequest>().CountAsync(r => r.InboundEmailId == null && r.Outcome == RequestOutcome.Rejected));
}
