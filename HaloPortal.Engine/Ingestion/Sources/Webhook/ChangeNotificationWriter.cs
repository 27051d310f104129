using System.Threading.Channels;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Engine.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Ingestion.Sources.Webhook;

/// <summary>
/// Group commit: concurrent POSTs hand their items to one writer, which commits everything waiting in ONE transaction and then
/// releases every waiting request. At high rates this turns hundreds of commits a second into a few. Also keeps the sample of
/// rejected items bounded (Portal:Webhooks:RejectedSampleSize rows).
/// </summary>
internal sealed class ChangeNotificationWriter(
    IDbContextFactory<PortalDbContext> contexts,
    WebhookQueue queue,
    IOptions<WebhookOptions> options,
    WalCheckpointer checkpointer,
    Nodes.NodeRegistry nodes,
    TimeProvider time,
    PortalTelemetry telemetry,
    ILogger<ChangeNotificationWriter> logger) : BackgroundService
{
    private const int MaxItemsPerCommit = 500;

    /// <summary>Ids of the rejected-item sample rows, oldest first (the writer's own; null until the first rejected sample of this process).</summary>
    private List<long>? _sampleIds;

    private readonly Dictionary<int, DateTimeOffset> _lastNotificationWritten = [];
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    private sealed record Pending(IReadOnlyList<IntakeItem> Items, TaskCompletionSource Done);

    /// <summary>Commits <paramref name="items"/> with whatever else is waiting; completes once they are durable (a <see cref="DbUpdateException"/> when they could not be).</summary>
    public async Task WriteAsync(IReadOnlyList<IntakeItem> items, CancellationToken cancellationToken)
    {
        var pending = new Pending(items, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await _pending.Writer.WriteAsync(pending, cancellationToken);
        await pending.Done.Task.WaitAsync(cancellationToken);
    }

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
                var (work, discovered) = await CommitAsync(group.SelectMany(p => p.Items).ToList(), thorough: attempt > 1, cancellationToken);
                foreach (var (mailboxId, count) in discovered)
                {
                    telemetry.EmailDiscovered(mailboxId, "webhook", count);
                }

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
    private async Task<(List<QueuedWork> Work, Dictionary<int, int> Discovered)> CommitAsync(List<IntakeItem> items, bool thorough, CancellationToken cancellationToken)
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
        var discovered = new Dictionary<int, int>();
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
                // Handled by this node (it queues it now); another takes it over only if this one dies first.
                request.ClaimedBy = nodes.InstanceId;
                request.ClaimExpiresAt = now + nodes.LeaseTime;
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
                        // This node queues it now: the recovery of other nodes leaves it alone unless this one dies first.
                        ClaimedBy = nodes.InstanceId,
                        ClaimExpiresAt = now + nodes.LeaseTime,
                        Node = nodes.Name,
                    };
                    db.Add(email);
                    emails[key] = email;
                    discovered[key.MailboxId] = discovered.GetValueOrDefault(key.MailboxId) + 1;
                    request = InboundRequest.Open(key.MailboxId, item.Kind, now,
                        $"Notified by Graph (subscription {item.SubscriptionId}) of new message {item.MessageId}; acknowledged and queued.");
                }
            }

            request.WithRaw(item.Raw);
            request.Node = nodes.Name;
            request.TraceParent = item.TraceParent;
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

        var work = requests
            .Where(r => r.Item.Rejection is null && r.Request.Outcome == RequestOutcome.Pending)
            .Select(r => new QueuedWork(r.Item.Subscription!.CredentialId, r.Item.Subscription.Id, r.Email?.Id, r.Request.Id, r.Item.LifecycleEvent, r.Item.TraceParent))
            .ToList();
        return (work, discovered);
    }
}
