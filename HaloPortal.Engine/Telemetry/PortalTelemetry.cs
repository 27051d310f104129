using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace HaloPortal.Engine.Telemetry;

/// <summary>
/// The engine's instruments: one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both named <see cref="TelemetryNames.Meter"/>.
/// Features record through the methods here with plain values (ids, codes), so this feature depends on none of them. Without a
/// listener (metrics off, no trace exporter) every call costs a flag check; with one, a few tag lookups in memory.
/// </summary>
internal sealed class PortalTelemetry : IDisposable
{
    // Seconds, as Prometheus expects; the boundaries follow what is being timed (an acknowledgement is milliseconds, a
    // ticket seconds to minutes when a mailbox is throttled).
    private static readonly double[] AckBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] TicketBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

    private readonly MailboxNames _names;
    private readonly TimeProvider _time;
    private readonly Counter<long> _discovered;
    private readonly Counter<long> _processed;
    private readonly Counter<long> _ignored;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _retries;
    private readonly Histogram<double> _deliveryToTicket;
    private readonly Histogram<double> _webhookAck;
    private readonly Counter<long> _graphRequests;
    private readonly Counter<long> _graphThrottled;

    /// <summary>Until when each mailbox was told to wait by its latest 429 (Retry-After), for the gauge.</summary>
    private readonly ConcurrentDictionary<int, DateTimeOffset> _retryUntil = new();

    public PortalTelemetry(IMeterFactory meters, MailboxNames names, TimeProvider time)
    {
        _names = names;
        _time = time;
        // Through the host's IMeterFactory: the meter belongs to this host (disposed with it), so two portals in one process
        // (tests, the two-node benchmark) each have their own.
        Meter = meters.Create(new MeterOptions(TelemetryNames.Meter));
        Source = new ActivitySource(TelemetryNames.ActivitySource);

        _discovered = Meter.CreateCounter<long>("haloportal.emails.discovered", "{email}", "Emails found in a mailbox (by a webhook notification, a scan or an import), counted once when first recorded.");
        _processed = Meter.CreateCounter<long>("haloportal.emails.processed", "{email}", "Emails that reached a ticket (opened or updated) and whose mailbox side effect is done.");
        _ignored = Meter.CreateCounter<long>("haloportal.emails.ignored", "{email}", "Emails closed without a ticket: auto-replies, bounces, own mail, rules, duplicates, deleted before fetching.");
        _failed = Meter.CreateCounter<long>("haloportal.emails.failed", "{email}", "Emails that failed for good, by error code (after their retries, or at once for a permanent error).");
        _retries = Meter.CreateCounter<long>("haloportal.emails.retries", "{email}", "Transient failures that sent an email back to wait for a later attempt, by error code.");
        _deliveryToTicket = Meter.CreateHistogram("haloportal.email.delivery_to_ticket.duration", "s",
            "From the message's delivery (Graph receivedDateTime; for webhook mail the notification's arrival) to its ticket's commit.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TicketBuckets });
        _webhookAck = Meter.CreateHistogram("haloportal.webhook.ack.duration", "s",
            "Handling time of POST /api/graph/notifications: parse, match, group commit, answer (Graph wants it under 3 s).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = AckBuckets });
        _graphRequests = Meter.CreateCounter<long>("haloportal.graph.requests", "{request}", "HTTP requests sent to Microsoft Graph for a mailbox (each retry counts), by status code.");
        _graphThrottled = Meter.CreateCounter<long>("haloportal.graph.throttled", "{request}", "Graph answers 429 Too Many Requests for a mailbox.");
        Meter.CreateObservableGauge("haloportal.graph.retry_after", ObserveRetryAfter, "s",
            "Seconds a mailbox still has to wait under Graph's latest Retry-After (0 once it has passed); mailboxes throttled since start only.");
    }

    public Meter Meter { get; }

    public ActivitySource Source { get; }

    public void EmailDiscovered(int mailboxId, string source, int count = 1)
    {
        if (count > 0 && _discovered.Enabled)
        {
            _discovered.Add(count, Mailbox(mailboxId, "source", source));
        }
    }

    /// <summary>An email reached its end in this attempt: <paramref name="status"/> is Processed, Ignored or Failed.</summary>
    public void EmailFinished(int mailboxId, string status, string? errorCode)
    {
        switch (status)
        {
            case "Processed" when _processed.Enabled:
                _processed.Add(1, Mailbox(mailboxId));
                break;
            case "Ignored" when _ignored.Enabled:
                _ignored.Add(1, Mailbox(mailboxId));
                break;
            case "Failed" when _failed.Enabled:
                _failed.Add(1, Mailbox(mailboxId, "error.code", errorCode ?? "unknown"));
                break;
        }
    }

    public void EmailRetry(int mailboxId, string? errorCode)
    {
        if (_retries.Enabled)
        {
            _retries.Add(1, Mailbox(mailboxId, "error.code", errorCode ?? "unknown"));
        }
    }

    /// <param name="since">"received" when Graph's receivedDateTime was known, "first_seen" when the notification's arrival stood in.</param>
    public void TicketCommitted(int mailboxId, TimeSpan latency, string since)
    {
        if (_deliveryToTicket.Enabled)
        {
            _deliveryToTicket.Record(Math.Max(0, latency.TotalSeconds), Mailbox(mailboxId, "delivery.time", since));
        }
    }

    public void WebhookAcknowledged(TimeSpan elapsed, string outcome)
    {
        if (_webhookAck.Enabled)
        {
            _webhookAck.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    /// <summary>One HTTP exchange with Graph for a mailbox; a 429 also sets the mailbox's Retry-After.</summary>
    public void GraphResponse(int mailboxId, int statusCode, TimeSpan? retryAfter)
    {
        if (statusCode == 429)
        {
            _retryUntil[mailboxId] = _time.GetUtcNow() + (retryAfter ?? TimeSpan.Zero);
            if (_graphThrottled.Enabled)
            {
                _graphThrottled.Add(1, Mailbox(mailboxId));
            }
        }

        if (_graphRequests.Enabled)
        {
            _graphRequests.Add(1, Mailbox(mailboxId, "http.response.status_code", statusCode));
        }
    }

    /// <summary>The W3C traceparent of the current activity, to store with work that a later activity continues; null when nothing is traced.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C, Recorded: true } current ? current.Id : null;

    /// <summary>
    /// Starts the activity of one email's processing attempt: a child of <paramref name="traceParent"/> (the webhook notification that
    /// announced it) when there is one, else a trace of its own linked to the current activity (the scan or import that found it).
    /// It does not become the current activity: the caller's batch holds many of them at once.
    /// </summary>
    public Activity? StartEmail(string? traceParent, long emailId, long requestId, int mailboxId)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent);
        var links = parent == default && previous is not null ? new[] { new ActivityLink(previous.Context) } : null;
        try
        {
            // Never a child of the batch around it: each email is a trace of its own (or of its notification).
            Activity.Current = null;
            var activity = Source.StartActivity("email.process", ActivityKind.Internal, parent, links: links);
            activity?.SetTag("inbound.email.id", emailId);
            activity?.SetTag("inbound.request.id", requestId);
            activity?.SetTag("mailbox.id", mailboxId);
            activity?.SetTag("mailbox.name", _names.Of(mailboxId));
            return activity;
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    /// <summary>
    /// A stage of an email (fetch, decide, side effects) under its <paramref name="email"/> activity. It becomes the current activity of
    /// the caller's async flow (so the Graph calls made for it nest under it) unless <paramref name="makeCurrent"/> is false.
    /// </summary>
    public Activity? StartStage(Activity? email, string name, bool makeCurrent = true)
    {
        if (email is null)
        {
            return null;
        }

        var previous = Activity.Current;
        var stage = Source.StartActivity(name, ActivityKind.Internal, email.Context);
        if (!makeCurrent)
        {
            Activity.Current = previous;
        }

        return stage;
    }

    public void Dispose()
    {
        Source.Dispose();
        Meter.Dispose();
    }

    private KeyValuePair<string, object?>[] Mailbox(int mailboxId) =>
        [new("mailbox.id", mailboxId), new("mailbox.name", _names.Of(mailboxId))];

    private TagList Mailbox(int mailboxId, string key, object? value) =>
        new([new("mailbox.id", mailboxId), new("mailbox.name", _names.Of(mailboxId)), new(key, value)]);

    private IEnumerable<Measurement<double>> ObserveRetryAfter()
    {
        var now = _time.GetUtcNow();
        foreach (var (mailboxId, until) in _retryUntil)
        {
            yield return new Measurement<double>(Math.Max(0, (until - now).TotalSeconds), Mailbox(mailboxId));
        }
    }
}
