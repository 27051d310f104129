using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Subscriptions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Ingestion.Sources.Webhook;

/// <summary>How the receiver answered a notification batch.</summary>
public enum NotificationAnswer
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
public sealed record NotificationResult(NotificationAnswer Answer, string? Detail = null, int Items = 0, int Rejected = 0);

/// <summary>
/// The webhook receiver's engine side: parses a batch, matches each item to a known subscription and its clientState, and
/// commits it durably (an <see cref="InboundRequest"/>, plus a Discovered <see cref="InboundEmail"/> for an accepted message)
/// before the HTTP answer. Never calls Graph: fetching happens in the background worker.
/// </summary>
public interface IGraphNotifications
{
    /// <summary>A change-notification batch (<c>POST /api/graph/notifications</c>).</summary>
    Task<NotificationResult> ReceiveChangesAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default);

    /// <summary>A lifecycle-notification batch (<c>POST /api/graph/lifecycle</c>).</summary>
    Task<NotificationResult> ReceiveLifecycleAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default);
}

/// <summary>One notification item, parsed and matched (not yet committed); a rejected one is a sample kept for the Rejected notifications tab.</summary>
internal sealed record IntakeItem(
    RequestKind Kind, string SubscriptionId, CachedSubscription? Subscription, RejectionReason? Reason, string? Rejection, string? MessageId, string? LifecycleEvent, byte[] Raw);

/// <summary>
/// Group commit: concurrent POSTs hand their items to one writer, which commits everything waiting in ONE transaction and then
/// releases every waiting request. At high rates this turns hundreds of commits a second into a few.
/// </summary>
internal sealed class NotificationIntake(
    IDbContextFactory<PortalDbContext> contexts,
    SubscriptionCache cache,
    WebhookQueue queue,
    RejectionTally tally,
    IOptions<WebhookOptions> options,
    WalCheckpointer checkpointer,
    TimeProvider time,
    ILogger<NotificationIntake> logger) : BackgroundService, IGraphNotifications
{
    private const int MaxItemsPerCommit = 500;

    /// <summary>A rejected item's raw JSON is kept up to this size (a Graph notification item is about 1 KB).</summary>
    internal const int MaxSampleRawBytes = 4096;

    /// <summary>Ids of the rejected-item sample rows, oldest first (the writer's own; null until the first rejected sample of this process).</summary>
    private List<long>? _sampleIds;

    /// <summary>Rejected items stored as samples in the current minute: a flood refreshes the sample at most once a minute, the rest is only counted.</summary>
    private readonly Lock _sampleBudgetLock = new();
    private DateTimeOffset _sampleWindowStart = DateTimeOffset.MinValue;
    private int _sampledInWindow;
    private readonly Dictionary<int, DateTimeOffset> _lastNotificationWritten = [];
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    private sealed record Pending(IReadOnlyList<IntakeItem> Items, TaskCompletionSource Done);

    public Task<NotificationResult> ReceiveChangesAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        ReceiveAsync(body, RequestKind.Webhook, cancellationToken);

    public Task<NotificationResult> ReceiveLifecycleAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        ReceiveAsync(body, RequestKind.Lifecycle, cancellationToken);

    private async Task<NotificationResult> ReceiveAsync(ReadOnlyMemory<byte> body, RequestKind kind, CancellationToken cancellationToken)
    {
        MatchedBatch batch;
        try
        {
            batch = await MatchAsync(body, kind, cancellationToken);
        }
        catch (TooManyItemsException ex)
        {
            logger.LogWarning("Refused a Graph {Kind} notification batch of {Count} items (more than {Max})", kind, ex.Count, options.Value.MaxItemsPerBatch);
            return new NotificationResult(NotificationAnswer.TooLarge, ex.Message, ex.Count, ex.Count);
        }
        catch (FormatException ex)
        {
            logger.LogWarning("Refused a malformed Graph {Kind} notification ({Bytes} bytes): {Reason}", kind, body.Length, LogText.Clean(ex.Message));
            return new NotificationResult(NotificationAnswer.Malformed, ex.Message);
        }

        var rejected = 0;
        foreach (var reason in Enum.GetValues<RejectionReason>())
        {
            tally.Add(reason, batch.Rejected[(int)reason]);
            rejected += batch.Rejected[(int)reason];
        }

        if (batch.Write.Count > 0)
        {
            var pending = new Pending(batch.Write, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            await _pending.Writer.WriteAsync(pending, cancellationToken);
            try
            {
                await pending.Done.Task.WaitAsync(cancellationToken);
            }
            catch (DbUpdateException ex) when (rejected < batch.Total)
            {
                logger.LogError(ex, "Could not commit a Graph {Kind} notification batch", kind);
                return new NotificationResult(NotificationAnswer.Unavailable, "The notification could not be stored; Graph will retry.");
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

        return new NotificationResult(NotificationAnswer.Accepted, null, batch.Total, rejected);
    }

    /// <summary>What to write (every accepted item, and the newest rejected ones as a sample), with the number of items and of rejections per reason.</summary>
    private sealed record MatchedBatch(List<IntakeItem> Write, int Total, int[] Rejected);

    private async Task<MatchedBatch> MatchAsync(ReadOnlyMemory<byte> body, RequestKind kind, CancellationToken cancellationToken)
    {
        using var batch = NotificationBatchParser.Parse(body, kind, options.Value.MaxItemsPerBatch);
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
        for (var i = 0; i < parsed.Count; i++)
        {
            var (_, subscriptionId, _, messageId, lifecycleEvent) = parsed[i];
            var subscription = subscriptions[subscriptionId];
            if (reasons[i] is not { } reason)
            {
                write.Add(new IntakeItem(kind, subscriptionId, subscription, null, null, messageId, lifecycleEvent, parsed[i].Raw()));
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

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => WriteLoopAsync(stoppingToken);

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var group = new List<Pending>();
        while (await _pending.Reader.WaitToReadAsync(stoppingToken))
        {
            group.Clear();
            var count = 0;
            while (count < MaxItemsPerCommit && _pending.Reader.TryRead(out var next))
            {
                group.Add(next);
                count += next.Items.Count;
            }

            try
            {
                await CommitWithRetryAsync(group, stoppingToken);
                checkpointer.Written(count);
                foreach (var pending in group)
                {
                    pending.Done.TrySetResult();
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                foreach (var pending in group)
                {
                    pending.Done.TrySetException(ex as DbUpdateException ?? new DbUpdateException(ex.Message, ex));
                }
            }
        }
    }

    private async Task CommitWithRetryAsync(List<Pending> group, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var work = await CommitAsync(group.SelectMany(p => p.Items).ToList(), thorough: attempt > 1, cancellationToken);
                queue.Post(work);
                return;
            }
            catch (DbUpdateException ex) when (attempt < 3)
            {
                // A scan inserted the same message meanwhile (unique key): the next attempt sees it and links to it.
                logger.LogWarning("Notification commit attempt {Attempt} failed ({Message}); retrying", attempt, LogText.Clean(ex.InnerException?.Message ?? ex.Message));
            }
        }
    }

    /// <summary>
    /// Keeps only the newest Portal:Webhooks:RejectedSampleSize rejected-notification rows (in the same transaction as the new ones);
    /// returns the ids kept, oldest first, for after the commit. The first time in a process it also trims what earlier runs left.
    /// </summary>
    private async Task<List<long>?> TrimSamplesAsync(PortalDbContext db, List<long> added, CancellationToken cancellationToken)
    {
        if (added.Count == 0)
        {
            return null;
        }

        var size = options.Value.RejectedSampleSize;
        var existing = _sampleIds;
        if (existing is null)
        {
            var samples = db.Set<InboundRequest>().Where(r => r.Outcome == RequestOutcome.Rejected && r.InboundEmailId == null
                && (r.Kind == RequestKind.Webhook || r.Kind == RequestKind.Lifecycle) && !added.Contains(r.Id));
            existing = await samples.OrderByDescending(r => r.Id).Take(size).Select(r => r.Id).ToListAsync(cancellationToken);
            existing.Reverse();
            var oldestKept = existing.Count > 0 ? existing[0] : long.MaxValue;
            await samples.Where(r => r.Id < oldestKept).ExecuteDeleteAsync(cancellationToken);
        }

        var all = existing.Concat(added).ToList();
        var excess = all.Count - size;
        if (excess <= 0)
        {
            return all;
        }

        var dropped = all.Take(excess).ToList();
        await db.Set<InboundRequest>().Where(r => dropped.Contains(r.Id)).ExecuteDeleteAsync(cancellationToken);
        return all.Skip(excess).ToList();
    }

    /// <summary>One transaction for every waiting item: emails first (for their ids), then the requests, then the subscriptions' last-notification times.</summary>
    private async Task<List<QueuedWork>> CommitAsync(List<IntakeItem> items, bool thorough, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // The acknowledgement path never runs a WAL checkpoint itself (a checkpoint waits for the disk and would hold
            // every waiting notification); the WalCheckpointer does it beside the writer.
            await db.Database.OpenConnectionAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("PRAGMA wal_autocheckpoint=0;", cancellationToken);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        var accepted = items.Where(i => i.Rejection is null && i.Kind == RequestKind.Webhook).ToList();
        var mailboxIds = accepted.Select(i => i.Subscription!.MailboxId).Distinct().ToList();
        var graphIds = accepted.Select(i => i.MessageId!).Distinct().ToList();
        var keys = graphIds.Select(id => "graph:" + id).ToList();
        // By Graph id (indexed); after a unique-key conflict also by key (a message without Message-ID moved since).
        var existing = graphIds.Count == 0
            ? []
            : thorough
                ? await db.Set<InboundEmail>()
                    .Where(e => mailboxIds.Contains(e.MailboxId) && (graphIds.Contains(e.GraphMessageId!) || keys.Contains(e.DedupeKey)))
                    .ToListAsync(cancellationToken)
                : await db.Set<InboundEmail>()
                    .Where(e => mailboxIds.Contains(e.MailboxId) && graphIds.Contains(e.GraphMessageId!))
                    .ToListAsync(cancellationToken);
        var emails = new Dictionary<(int, string), InboundEmail>();
        foreach (var email in existing)
        {
            emails.TryAdd((email.MailboxId, email.GraphMessageId ?? email.DedupeKey["graph:".Length..]), email);
        }

        var requests = new List<(IntakeItem Item, InboundRequest Request, InboundEmail? Email)>(items.Count);
        foreach (var item in items)
        {
            InboundRequest request;
            InboundEmail? email = null;
            if (item.Rejection is not null)
            {
                request = InboundRequest.Open(item.Subscription?.MailboxId ?? 0, item.Kind, now, $"Rejected: {item.Rejection} Nothing was fetched.", level: "Warning");
                request.Complete(RequestOutcome.Rejected, now);
            }
            else if (item.Kind == RequestKind.Lifecycle)
            {
                request = InboundRequest.Open(item.Subscription!.MailboxId, item.Kind, now,
                    $"Lifecycle event '{item.LifecycleEvent}' for subscription {item.SubscriptionId} acknowledged; handled in the background.");
            }
            else
            {
                var key = (item.Subscription!.MailboxId, item.MessageId!);
                if (emails.TryGetValue(key, out email))
                {
                    if (email.Stage == InboundStage.Done)
                    {
                        request = InboundRequest.Open(key.MailboxId, item.Kind, now, $"Notified again for message {item.MessageId}: already processed ({email.Status}); nothing to do.");
                        request.Complete(RequestOutcome.Ignored, now);
                    }
                    else
                    {
                        request = InboundRequest.Open(key.MailboxId, item.Kind, now, $"Notified for message {item.MessageId}, already known (found by {email.FoundBy}); queued.");
                    }
                }
                else
                {
                    email = new InboundEmail
                    {
                        MailboxId = item.Subscription.MailboxId,
                        CredentialId = item.Subscription.CredentialId,
                        DedupeKey = "graph:" + item.MessageId,
                        GraphMessageId = item.MessageId,
                        FoundBy = RequestKind.Webhook,
                        CreatedAt = now,
                        UpdatedAt = now,
                    };
                    db.Add(email);
                    emails[key] = email;
                    request = InboundRequest.Open(key.MailboxId, item.Kind, now,
                        $"Notified by Graph (subscription {item.SubscriptionId}) of new message {item.MessageId}; acknowledged and queued.");
                }
            }

            request.WithRaw(item.Raw);
            requests.Add((item, request, email));
        }

        await db.SaveChangesAsync(cancellationToken);
        foreach (var (_, request, email) in requests)
        {
            request.InboundEmailId = email?.Id;
            db.Add(request);
        }

        await db.SaveChangesAsync(cancellationToken);
        var keptSamples = await TrimSamplesAsync(db, requests.Where(r => r.Item.Reason is not null).Select(r => r.Request.Id).ToList(), cancellationToken);
        foreach (var subscriptionId in items.Where(i => i.Rejection is null).Select(i => i.Subscription!.Id).Distinct())
        {
            // "Last notification received" is for people: once a second is precise enough and saves a write per POST at high rates.
            if (_lastNotificationWritten.TryGetValue(subscriptionId, out var written) && now - written < TimeSpan.FromSeconds(1))
            {
                continue;
            }

            await db.Set<GraphSubscription>().Where(s => s.Id == subscriptionId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastNotificationAt, now), cancellationToken);
            _lastNotificationWritten[subscriptionId] = now;
        }

        await transaction.CommitAsync(cancellationToken);
        if (keptSamples is not null)
        {
            _sampleIds = keptSamples;
        }

        if (db.Database.IsSqlite())
        {
            // Pooled connections serve the rest of the portal afterwards: give this one its default back.
            await db.Database.ExecuteSqlRawAsync("PRAGMA wal_autocheckpoint=1000;", cancellationToken);
        }

        return requests
            .Where(r => r.Item.Rejection is null && r.Request.Outcome == RequestOutcome.Pending)
            .Select(r => new QueuedWork(r.Item.Subscription!.CredentialId, r.Item.Subscription.Id, r.Email?.Id, r.Request.Id, r.Item.LifecycleEvent))
            .ToList();
    }
}
