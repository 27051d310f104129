using System.Diagnostics;
using System.Text;
using System.Text.Json;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Telemetry;
using HaloPortal.Tests.Ingestion;
using HaloPortal.Tests.Subscriptions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace HaloPortal.Tests.Telemetry;

/// <summary>A webhook portal with tracing on and the portal's traces exported to memory.</summary>
public sealed class TracedWebhookPortalFactory : WebhookPortalFactory
{
    public TracedWebhookPortalFactory()
    {
        Settings["Portal:Tracing:Enabled"] = "true";
        ConfigureTestServices = services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(Exported));
    }

    internal ExportedActivities Exported { get; } = new();
}

/// <summary>Each email is one trace: the notification's POST, its fetch, its decision and its side effect share one trace id.</summary>
public sealed class EmailTraceTests(TracedWebhookPortalFactory app) : IClassFixture<TracedWebhookPortalFactory>
{
    private readonly WebhookKit _kit = new(app);

    [Fact]
    public async Task A_webhook_email_is_one_trace_from_the_notification_to_its_ticket()
    {
        await _kit.SubscribedAsync();
        using var reader = new MeterReader(app.Services.GetRequiredService<PortalTelemetry>().Meter);

        var message = await _kit.DeliverAsync("Traced: the badge reader at the back door");
        var email = Assert.Single(await _kit.WaitForTicketAsync(message));

        // The traceparent the receiver stored on the notification's request is the trace the worker continued.
        var request = await _kit.QueryAsync(db => db.Set<InboundRequest>().AsNoTracking().SingleAsync(r => r.InboundEmailId == email.Id && r.Kind == RequestKind.Webhook));
        Assert.NotNull(request.TraceParent);
        var trace = ActivityContext.Parse(request.TraceParent, null).TraceId;
        List<Activity> spans = [];
        await WebhookKit.WaitAsync(() =>
        {
            spans = app.Exported.Of(trace);
            return Task.FromResult(spans.Any(s => s.OperationName == "email.process"));
        }, TimeSpan.FromSeconds(10), "the email's activity is exported");

        Assert.Contains(spans, s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("/api/graph/notifications"));
        var receive = Assert.Single(spans, s => s.OperationName == "graph.notifications receive");
        var process = Assert.Single(spans, s => s.OperationName == "email.process");
        Assert.Equal(receive.SpanId, process.ParentSpanId);
        Assert.Equal(email.Id, process.GetTagItem("inbound.email.id"));
        Assert.Equal("Processed", process.GetTagItem("inbound.status"));
        Assert.Equal(email.TicketId, process.GetTagItem("ticket.id"));
        Assert.Contains(process.Events, e => e.Name == "ticket committed");
        foreach (var stage in new[] { "email.fetch", "email.decide", "email.side_effects" })
        {
            var span = Assert.Single(spans, s => s.OperationName == stage);
            Assert.Equal(process.SpanId, span.ParentSpanId);
        }

        // The Graph calls of the fetch nest under it: the raw read is in the same trace.
        var fetch = spans.Single(s => s.OperationName == "email.fetch");
        Assert.Contains(spans, s => s.Kind == ActivityKind.Client && s.ParentSpanId == fetch.SpanId);

        // Webhook mail names no delivery time: its latency starts at the notification, and says so.
        var latency = Assert.Single(reader.Of("haloportal.email.delivery_to_ticket.duration", ("delivery.time", "first_seen")));
        Assert.InRange(latency.Value, 0, 20);
        Assert.NotEmpty(reader.Of("haloportal.webhook.ack.duration", ("outcome", "Accepted")));
        Assert.Equal(1, reader.Sum("haloportal.emails.discovered", ("mailbox.id", SandboxMail.DemoMailboxId), ("source", "webhook")));
    }

    [Fact]
    public async Task An_anonymous_caller_cannot_choose_the_trace_or_the_baggage_of_the_work_it_causes()
    {
        // The webhook endpoint is public: a traceparent (sampled), a tracestate and baggage from the caller are all ignored.
        var chosen = ActivityTraceId.CreateRandom();
        var agent = "trace-probe-" + Guid.NewGuid().ToString("N");
        // A client that sends the headers as given (by default HttpClient replaces traceparent with its own activity's).
        using var http = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/graph/notifications")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { value = new[] { WebhookKit.Notification("no-such-subscription", "guess", "AAMk-probe") } }), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{chosen}-{ActivitySpanId.CreateRandom()}-01");
        request.Headers.TryAddWithoutValidation("tracestate", "vendor=attacker");
        request.Headers.TryAddWithoutValidation("baggage", "tenant=evil,user=admin");
        request.Headers.TryAddWithoutValidation("User-Agent", agent);
        using var response = await http.SendAsync(request);
        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode}");

        Activity? server = null;
        await WebhookKit.WaitAsync(() =>
        {
            server = app.Exported.Where(a => a.Kind == ActivityKind.Server && Equals(a.GetTagItem("user_agent.original"), agent)).SingleOrDefault();
            return Task.FromResult(server is not null);
        }, TimeSpan.FromSeconds(10), "the probe request's server activity is exported");

        Assert.True(server!.TraceId != chosen && server.ParentSpanId == default, $"the request continued the caller's trace: {server.Id} (parent {server.ParentId}; sent {chosen})");
        Assert.Null(server.TraceStateString);
        Assert.Empty(server.Baggage);
        Assert.Empty(app.Exported.Of(chosen));
    }
}
