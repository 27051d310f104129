using System.Security.Cryptography;
using System.Text;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Engine.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Ingestion.Sources.Webhook;

/// <summary>How the receiver answered a notification batch.</summary>
public enum ChangeNotificationAnswer
{
    /// <summary>Committed (202): every item recorded, accepted ones queued for processing.</summary>
    Accepted,

    /// <summary>Not a notification batch (400); nothing recorded.</summary>
    Malformed,

    /// <summary>The database could not commit (503): Graph retries later.</summary>
    Unavailable,

    /// <summary>More items than Portal:Webhooks:MaxItemsPerBatch (413); nothing recorded.</summary>
    TooLarge,
}

/// <summary>The answer to one POST, with the reason for a 400/503.</summary>
public sealed record ChangeNotificationResult(ChangeNotificationAnswer Answer, string? Detail = null, int Items = 0, int Rejected = 0);

/// <summary>
/// The webhook receiver's engine side: parses a batch, matches each item to a known subscription and its clientState, and
/// commits it durably (an <see cref="InboundRequest"/>, plus a Discovered <see cref="InboundEmail"/> for an accepted message)
/// before the HTTP answer. Never calls Graph: fetching happens in the background worker.
/// </summary>
public interface IChangeNotifications
{
    /// <summary>A change-notification batch (<c>POST /api/graph/notifications</c>).</summary>
    Task<ChangeNotificationResult> ReceiveChangesAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default);

    /// <summary>A lifecycle-notification batch (<c>POST /api/graph/lifecycle</c>).</summary>
    Task<ChangeNotificationResult> ReceiveLifecycleAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default);
}

/// <summary>One notification item, parsed and matched (not yet committed); a rejected one is a sample kept for the Rejected notifications tab.</summary>
/// <remarks><see cref="TraceParent"/> is the receiving activity's W3C traceparent (null when nothing is traced): the email's processing continues that trace.</remarks>
internal sealed record IntakeItem(
    RequestKind Kind, string SubscriptionId, CachedSubscription? Subscription, RejectionReason? Reason, string? Rejection, string? MessageId, string? LifecycleEvent, byte[] Raw,
    string? TraceParent = null);

/// <summary>
/// The receiver: parses a POST (<see cref="ChangeNotificationParser"/>), matches every item to a known subscription and its
/// clientState, counts what it refuses, and hands the items to the <see cref="ChangeNotificationWriter"/>; it answers once they are committed.
/// </summary>
internal sealed class ChangeNotificationIntake(
    SubscriptionCache cache,
    ChangeNotificationWriter writer,
    RejectionTally tally,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    PortalTelemetry telemetry,
    ILogger<ChangeNotificationIntake> logger) : IChangeNotifications
{
    /// <summary>A rejected item's raw JSON is kept up to this size (a Graph notification item is about 1 KB).</summary>
    internal const int MaxSampleRawBytes = 4096;

    /// <summary>Rejected items stored as samples in the current minute: a flood refreshes the sample at most once a minute, the rest is only counted.</summary>
    private readonly Lock _sampleBudgetLock = new();
    private DateTimeOffset _sampleWindowStart = DateTimeOffset.MinValue;
    private int _sampledInWindow;

    public Task<ChangeNotificationResult> ReceiveChangesAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        ReceiveAsync(body, RequestKind.Webhook, cancellationToken);

    public Task<ChangeNotificationResult> ReceiveLifecycleAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        ReceiveAsync(body, RequestKind.Lifecycle, cancellationToken);

    private async Task<ChangeNotificationResult> ReceiveAsync(ReadOnlyMemory<byte> body, RequestKind kind, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        // The trace of every email this POST announces starts here (under the HTTP request's activity when there is one).
        using var activity = telemetry.Source.StartActivity(kind == RequestKind.Webhook ? "graph.notifications receive" : "graph.lifecycle receive");
        var result = await ReceiveCoreAsync(body, kind, cancellationToken);
        activity?.SetTag("notifications.items", result.Items);
        activity?.SetTag("notifications.rejected", result.Rejected);
        activity?.SetTag("outcome", result.Answer.ToString());
        if (kind == RequestKind.Webhook)
        {
            telemetry.WebhookAcknowledged(time.GetElapsedTime(started), result.Answer.ToString());
        }

        return result;
    }

    private async Task<ChangeNotificationResult> ReceiveCoreAsync(ReadOnlyMemory<byte> body, RequestKind kind, CancellationToken cancellationToken)
    {
        MatchedBatch batch;
        try
        {
            batch = await MatchAsync(body, kind, cancellationToken);
        }
        catch (TooManyItemsException ex)
        {
            logger.LogWarning("Refused a Graph {Kind} notification batch of {Count} items (more than {Max})", kind, ex.Count, options.Value.MaxItemsPerBatch);
            return new ChangeNotificationResult(ChangeNotificationAnswer.TooLarge, ex.Message, ex.Count, ex.Count);
        }
        catch (FormatException ex)
        {
            logger.LogWarning("Refused a malformed Graph {Kind} notification ({Bytes} bytes): {Reason}", kind, body.Length, LogText.Clean(ex.Message));
            return new ChangeNotificationResult(ChangeNotificationAnswer.Malformed, ex.Message);
        }

        var rejected = 0;
        foreach (var reason in Enum.GetValues<RejectionReason>())
        {
            tally.Add(reason, batch.Rejected[(int)reason]);
            rejected += batch.Rejected[(int)reason];
        }

        if (batch.Write.Count > 0)
        {
            try
            {
                await writer.WriteAsync(batch.Write, cancellationToken);
            }
            catch (DbUpdateException ex) when (rejected < batch.Total)
            {
                logger.LogError(ex, "Could not commit a Graph {Kind} notification batch", kind);
                return new ChangeNotificationResult(ChangeNotificationAnswer.Unavailable, "The notification could not be stored; Graph will retry.");
            }
            catch (DbUpdateException ex)
            {
                // Only samples of refused items were to be written: they are counted all the same, and Graph has nothing to retry.
                logger.LogWarning("Could not store the sample of {Count} rejected Graph {Kind} notification(s): {Reason}", rejected, kind, LogText.Clean(ex.InnerException?.Message ?? ex.Message));
            }
        }

        if (rejected > 0)
        {
            // One line per batch, with counts only: the items (and their attacker-chosen ids) are in the sample, not in the log.
            logger.LogWarning("Rejected {Count} of {Total} Graph {Kind} notification(s): {Unknown} for unknown subscriptions, {Mismatch} with a wrong clientState, {Cancelled} for cancelled subscriptions",
                rejected, batch.Total, kind, batch.Rejected[(int)RejectionReason.UnknownSubscription], batch.Rejected[(int)RejectionReason.ClientStateMismatch],
                batch.Rejected[(int)RejectionReason.SubscriptionCancelled]);
        }

        return new ChangeNotificationResult(ChangeNotificationAnswer.Accepted, null, batch.Total, rejected);
    }

    /// <summary>What to write (every accepted item, and the newest rejected ones as a sample), with the number of items and of rejections per reason.</summary>
    private sealed record MatchedBatch(List<IntakeItem> Write, int Total, int[] Rejected);

    private async Task<MatchedBatch> MatchAsync(ReadOnlyMemory<byte> body, RequestKind kind, CancellationToken cancellationToken)
    {
        using var batch = ChangeNotificationParser.Parse(body, kind, options.Value.MaxItemsPerBatch);
        var parsed = batch.Items;

        // One lookup for the whole batch: memory, the ids remembered as unknown, then one database read for the rest.
        var subscriptions = await cache.FindManyAsync(parsed.Select(p => p.SubscriptionId), cancellationToken);
        var reasons = new RejectionReason?[parsed.Count];
        var rejected = new int[Enum.GetValues<RejectionReason>().Length];
        for (var i = 0; i < parsed.Count; i++)
        {
            reasons[i] = subscriptions[parsed[i].SubscriptionId] switch
            {
                null => RejectionReason.UnknownSubscription,
                { } subscription when !ClientStateMatches(subscription, parsed[i].ClientState) => RejectionReason.ClientStateMismatch,
                { Status: SubscriptionStatus.Cancelled } => RejectionReason.SubscriptionCancelled,
                _ => null,
            };
            if (reasons[i] is { } reason)
            {
                rejected[(int)reason]++;
            }
        }

        // Rejected items are counted; only the newest of them are kept (as request rows) to show what was refused.
        var skipRejected = rejected.Sum() - TakeSampleBudget(rejected.Sum());
        var write = new List<IntakeItem>();
        var seenRejected = 0;
        var traceParent = PortalTelemetry.CurrentTraceParent();
        for (var i = 0; i < parsed.Count; i++)
        {
            var (_, subscriptionId, _, messageId, lifecycleEvent) = parsed[i];
            var subscription = subscriptions[subscriptionId];
            if (reasons[i] is not { } reason)
            {
                write.Add(new IntakeItem(kind, subscriptionId, subscription, null, null, messageId, lifecycleEvent, parsed[i].Raw(), traceParent));
            }
            else if (seenRejected++ >= skipRejected)
            {
                var raw = parsed[i].Raw();
                write.Add(new IntakeItem(kind, subscriptionId, subscription, reason, RejectionText(reason, subscriptionId), messageId, lifecycleEvent,
                    raw.Length > MaxSampleRawBytes ? raw[..MaxSampleRawBytes] : raw));
            }
        }

        return new MatchedBatch(write, parsed.Count, rejected);
    }

    /// <summary>
    /// How many of <paramref name="rejected"/> refused items may be stored as samples now: at most Portal:Webhooks:RejectedSampleSize
    /// per minute across all requests, so a sustained flood writes a bounded number of rows however many POSTs it sends.
    /// </summary>
    private int TakeSampleBudget(int rejected)
    {
        if (rejected == 0)
        {
            return 0;
        }

        var size = options.Value.RejectedSampleSize;
        var now = time.GetUtcNow();
        lock (_sampleBudgetLock)
        {
            if (now - _sampleWindowStart >= TimeSpan.FromMinutes(1))
            {
                _sampleWindowStart = now;
                _sampledInWindow = 0;
            }

            var granted = Math.Min(rejected, size - _sampledInWindow);
            _sampledInWindow += granted;
            return granted;
        }
    }

    private static string RejectionText(RejectionReason reason, string subscriptionId)
    {
        var id = LogText.Clean(subscriptionId, 100);
        return reason switch
        {
            RejectionReason.UnknownSubscription => $"Unknown subscription {id}: not one of this portal's subscriptions.",
            RejectionReason.ClientStateMismatch => $"The clientState does not match subscription {id}: not sent by Graph for this portal.",
            _ => $"Subscription {id} was cancelled.",
        };
    }

    private static bool ClientStateMatches(CachedSubscription subscription, string? clientState) =>
        clientState is not null && CryptographicOperations.FixedTimeEquals(subscription.ClientState, Encoding.UTF8.GetBytes(clientState));
}
