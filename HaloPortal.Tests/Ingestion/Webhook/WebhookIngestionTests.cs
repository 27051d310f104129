using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Ingestion.Sources.Webhook;
using HaloPortal.Engine.Monitoring;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Subscriptions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Ingestion.Webhook;

/// <summary>Webhooks end to end: the sandbox notifies the portal's receiver over real HTTP; the worker fetches and makes tickets.</summary>
public sealed class WebhookIngestionTests(WebhookPortalFactory app) : IClassFixture<WebhookPortalFactory>
{
    private readonly WebhookKit _kit = new(app);

    private ISandboxControl Sandbox => _kit.Mail.Control;

    [Fact]
    public async Task Creating_a_subscription_through_the_API_passes_the_handshake_and_answers_the_documented_shape()
    {
        var credentialId = await _kit.UseWebhooksAsync();
        if (await _kit.Subscriptions.GetAsync(credentialId) is { Status: not SubscriptionStatus.Cancelled })
        {
            await _kit.Subscriptions.CancelAsync(credentialId, HaloPortal.Engine.Audit.Actor.System);
        }

        using var api = app.CreateApiClient();
        var response = await api.PostAsync($"/api/v1/credentials/{credentialId}/subscription", null);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetString()!;
        Assert.Equal($"users/{_kit.Mail.Demo.SharedMailbox}/mailFolders('inbox')/messages", body.GetProperty("resource").GetString());
        Assert.Equal("Active", body.GetProperty("status").GetString());
        var expiry = body.GetProperty("expirationDateTime").GetDateTimeOffset();
        Assert.InRange(expiry - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10_075), TimeSpan.FromMinutes(10_081));
        var atGraph = Assert.Single(await Sandbox.ListSubscriptionsAsync(), s => s.Id.ToString() == id);
        Assert.Equal(app.BaseAddress.GetLeftPart(UriPartial.Authority).Replace("localhost", "127.0.0.1") + "/api/graph/notifications", atGraph.NotificationUrl);
        Assert.EndsWith("/api/graph/lifecycle", atGraph.LifecycleNotificationUrl);
        var again = await api.PostAsync($"/api/v1/credentials/{credentialId}/subscription", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task The_validation_handshake_echoes_the_decoded_token_as_plain_text_on_both_endpoints()
    {
        using var http = app.CreateApiClient(apiKey: null);
        foreach (var path in new[] { "/api/graph/notifications", "/api/graph/lifecycle" })
        {
            var response = await http.PostAsync($"{path}?validationToken=Validation%3A%20Testing%20client%20application%20reachability", new StringContent(""));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal("Validation: Testing client application reachability", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_delivered_mail_becomes_a_ticket_without_pressing_anything()
    {
        await _kit.SubscribedAsync();

        var message = await _kit.DeliverAsync("Webhook: the projector in room 4 is dead");

        var email = Assert.Single(await _kit.WaitForTicketAsync(message));
        Assert.Equal(RequestKind.Webhook, email.FoundBy);
        Assert.Equal(InboundStatus.Processed, email.Status);
        Assert.Equal(message.InternetMessageId, email.DedupeKey);
        await WebhookKit.WaitAsync(async () => (await _kit.RequestsAsync(email.Id)).All(r => r.Outcome != RequestOutcome.Pending), TimeSpan.FromSeconds(10), "request closed");
        var request = Assert.Single(await _kit.RequestsAsync(email.Id), r => r.Kind == RequestKind.Webhook);
        Assert.Equal(RequestOutcome.Succeeded, request.Outcome);
        Assert.Contains(request.Log, l => l.Message.Contains("acknowledged and queued"));
        Assert.Contains(request.Log, l => l.Message.Contains("Opened ticket"));
        var subscription = await _kit.Subscriptions.GetAsync(email.CredentialId!.Value);
        Assert.NotNull(subscription!.LastNotificationAt);
    }

    [Fact]
    public async Task A_webhook_email_read_from_Graph_is_the_mailboxes_last_webhook_fetch()
    {
        await _kit.SubscribedAsync();
        var time = app.Services.GetRequiredService<TimeProvider>();
        var health = app.Services.GetRequiredService<IMailboxHealth>();
        // Written at most every 30 seconds: a webhook read of this credential by an earlier test may stand for this one.
        var since = time.GetUtcNow() - WebhookReadRecorder.Interval;

        var message = await _kit.DeliverAsync("Webhook: the last fetch is on the Monitoring card");
        Assert.Single(await _kit.WaitForTicketAsync(message));

        MailboxHealthView? view = null;
        await WebhookKit.WaitAsync(async () => (view = await health.GetAsync(SandboxMail.DemoMailboxId))?.LastWebhookRead >= since, TimeSpan.FromSeconds(10), "the webhook read is recorded");
        Assert.Equal(ProcessingMethod.Webhooks, view!.ProcessingMethod);
        Assert.InRange(view.LastWebhookRead!.Value, since, time.GetUtcNow());
    }

    [Fact]
    public async Task Duplicate_and_out_of_order_notifications_make_one_ticket_per_mail()
    {
        var subscription = await _kit.SubscribedAsync();
        var state = await _kit.ClientStateAsync(subscription.GraphSubscriptionId);
        await Sandbox.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.DropNotifications, Count: 2));
        var first = await _kit.DeliverAsync("Webhook: first of two");
        var second = await _kit.DeliverAsync("Webhook: second of two");

        var batches = await Task.WhenAll(
            _kit.PostAsync("/api/graph/notifications", Note(second), Note(first), Note(second)),
            _kit.PostAsync("/api/graph/notifications", Note(first)),
            _kit.PostAsync("/api/graph/notifications", Note(second), Note(first)));

        Assert.All(batches, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        foreach (var message in new[] { first, second })
        {
            var emails = await _kit.WaitForTicketAsync(message);
            var email = Assert.Single(emails);
            Assert.Equal(1, await _kit.TicketCountAsync(email.TicketId!.Value));
            var requests = await _kit.RequestsAsync(email.Id);
            Assert.True(requests.Count >= 3, "every notification is recorded as a request");
            await WebhookKit.WaitAsync(async () => (await _kit.RequestsAsync(email.Id)).All(r => r.Outcome != RequestOutcome.Pending), TimeSpan.FromSeconds(10), "requests closed");
            Assert.Single(await _kit.RequestsAsync(email.Id), r => r.Outcome == RequestOutcome.Succeeded);
        }

        object Note(SandboxDeliveredMessageInfo m) => WebhookKit.Notification(subscription.GraphSubscriptionId, state, m.GraphId);
    }

    [Fact]
    public async Task Wrong_clientState_and_unknown_subscriptions_are_rejected_and_nothing_is_fetched()
    {
        var subscription = await _kit.SubscribedAsync();
        await Sandbox.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.DropNotifications, Count: 1));
        var message = await _kit.DeliverAsync("Webhook: forged notification target");
        var unknown = Guid.NewGuid().ToString();
        var before = await _kit.QueryAsync(db => db.Set<InboundRequest>().MaxAsync(r => (long?)r.Id)) ?? 0;

        var response = await _kit.PostAsync("/api/graph/notifications",
            WebhookKit.Notification(subscription.GraphSubscriptionId, "not-the-client-state", message.GraphId),
            WebhookKit.Notification(subscription.GraphSubscriptionId, null, message.GraphId),
            WebhookKit.Notification(unknown, "anything", message.GraphId));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var requests = await _kit.QueryAsync(db => db.Set<InboundRequest>().AsNoTracking().Where(r => r.Id > before && r.Kind == RequestKind.Webhook).ToListAsync());
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(RequestOutcome.Rejected, r.Outcome));
        Assert.All(requests, r => Assert.Null(r.InboundEmailId));
        Assert.Contains(requests, r => r.Log.Any(l => l.Message.Contains("clientState does not match")));
        Assert.Contains(requests, r => r.Log.Any(l => l.Message.Contains($"Unknown subscription {unknown}")));
        Assert.Empty(await _kit.EmailsAsync(message));
        Assert.Contains(await Sandbox.ListMessagesAsync(_kit.Mail.Demo.SharedMailbox, "inbox"), m => m.Id == message.GraphId);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"value\":\"nope\"}")]
    [InlineData("{\"value\":[{\"changeType\":\"created\"}]}")]
    public async Task A_malformed_body_is_a_400_problem_not_a_500(string body)
    {
        using var http = app.CreateApiClient(apiKey: null);

        var response = await http.PostAsync("/api/graph/notifications", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task A_dropped_notification_is_ingested_by_the_safety_scan()
    {
        var subscription = await _kit.SubscribedAsync();
        await Sandbox.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.DropNotifications, Count: 1));
        var message = await _kit.DeliverAsync("Webhook: notification dropped");

        var report = await _kit.Mail.Scanner.ScanAsync(subscription.CredentialId, RequestKind.Scan);

        Assert.Null(report.Error);
        var email = Assert.Single(await _kit.WaitForTicketAsync(message));
        Assert.Equal(RequestKind.Scan, email.FoundBy);
    }

    [Fact]
    public async Task A_delayed_notification_is_still_ingested()
    {
        await _kit.SubscribedAsync();
        await Sandbox.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.DelayNotifications, Count: 1, DelaySeconds: 2));

        var message = await _kit.DeliverAsync("Webhook: notification delayed");

        var email = Assert.Single(await _kit.WaitForTicketAsync(message, TimeSpan.FromSeconds(30)));
        Assert.Equal(RequestKind.Webhook, email.FoundBy);
    }

    [Fact]
    public async Task A_scan_racing_the_notifications_still_makes_one_ticket_per_mail()
    {
        var subscription = await _kit.SubscribedAsync();
        var state = await _kit.ClientStateAsync(subscription.GraphSubscriptionId);
        await Sandbox.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.DropNotifications, Count: 4));
        var messages = new List<SandboxDeliveredMessageInfo>();
        for (var i = 0; i < 4; i++)
        {
            messages.Add(await _kit.DeliverAsync($"Webhook: race {i}"));
        }

        var scan = _kit.Mail.Scanner.ScanAsync(subscription.CredentialId, RequestKind.Scan);
        var notify = _kit.PostAsync("/api/graph/notifications", messages.Select(m => WebhookKit.Notification(subscription.GraphSubscriptionId, state, m.GraphId)).ToArray());
        await Task.WhenAll(scan, notify);

        foreach (var message in messages)
        {
            await _kit.WaitForTicketAsync(message);
            await WebhookKit.WaitAsync(async () => (await _kit.EmailsAsync(message)).All(e => e.Stage == InboundStage.Done), TimeSpan.FromSeconds(20), "every record settled");
            var emails = await _kit.EmailsAsync(message);
            var tickets = emails.Where(e => e.TicketId is not null).Select(e => e.TicketId).Distinct().ToList();
            Assert.Single(tickets);
            // A second record may exist only as an explained duplicate or as "moved before it could be fetched".
            Assert.All(emails.Where(e => e.TicketId is null), e => Assert.Equal(InboundStatus.Ignored, e.Status));
        }
    }

    [Fact]
    public async Task Each_lifecycle_event_is_recorded_and_handled()
    {
        var subscription = await _kit.SubscribedAsync();
        var credentialId = subscription.CredentialId;

        // reauthorizationRequired: renewed at once.
        await Sandbox.TriggerLifecycleEventAsync(Guid.Parse(subscription.GraphSubscriptionId), SandboxLifecycleEvent.ReauthorizationRequired);
        var reauthorised = await LifecycleRequestAsync("reauthorizationRequired");
        Assert.Equal(RequestOutcome.Succeeded, reauthorised.Outcome);
        Assert.Contains((await _kit.Subscriptions.GetAsync(credentialId))!.Renewals, r => r.Trigger == "Lifecycle" && r.Succeeded);

        // missed: a delta catch-up finds the mail whose notification was lost.
        await Sandbox.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.DropNotifications, Count: 1));
        var missed = await _kit.DeliverAsync("Webhook: missed notification");
        await Sandbox.TriggerLifecycleEventAsync(Guid.Parse(subscription.GraphSubscriptionId), SandboxLifecycleEvent.Missed);
        Assert.Equal(RequestOutcome.Succeeded, (await LifecycleRequestAsync("missed")).Outcome);
        Assert.Equal(RequestKind.Lifecycle, Assert.Single(await _kit.WaitForTicketAsync(missed)).FoundBy);

        // subscriptionRemoved: recreated, then caught up.
        await Sandbox.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.DropNotifications, Count: 1));
        var whileRemoved = await _kit.DeliverAsync("Webhook: sent while the subscription was removed");
        await Sandbox.TriggerLifecycleEventAsync(Guid.Parse(subscription.GraphSubscriptionId), SandboxLifecycleEvent.SubscriptionRemoved);
        Assert.Equal(RequestOutcome.Succeeded, (await LifecycleRequestAsync("subscriptionRemoved")).Outcome);
        var replacement = (await _kit.Subscriptions.GetAsync(credentialId))!;
        Assert.NotEqual(subscription.GraphSubscriptionId, replacement.GraphSubscriptionId);
        Assert.Equal(SubscriptionStatus.Active, replacement.Status);
        Assert.Contains(await Sandbox.ListSubscriptionsAsync(), s => s.Id.ToString() == replacement.GraphSubscriptionId);
        Assert.Single(await _kit.WaitForTicketAsync(whileRemoved));

        // The new subscription delivers again.
        var after = await _kit.DeliverAsync("Webhook: after recreation");
        Assert.Equal(RequestKind.Webhook, Assert.Single(await _kit.WaitForTicketAsync(after)).FoundBy);
    }

    private async Task<InboundRequest> LifecycleRequestAsync(string lifecycleEvent)
    {
        InboundRequest? found = null;
        await WebhookKit.WaitAsync(async () =>
        {
            var requests = await _kit.QueryAsync(db => db.Set<InboundRequest>().AsNoTracking().Where(r => r.Kind == RequestKind.Lifecycle && r.Outcome != RequestOutcome.Pending).ToListAsync());
            found = requests.LastOrDefault(r => Encoding.UTF8.GetString(r.RawData ?? []).Contains($"\"{lifecycleEvent}\""));
            return found is not null;
        }, TimeSpan.FromSeconds(20), $"lifecycle event {lifecycleEvent} handled");
        return found!;
    }
}
