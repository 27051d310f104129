using System.Text.Json;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion.Sources.Scan;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Subscriptions;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Mailbox = HaloPortal.Engine.Mailboxes.Mailbox;

namespace HaloPortal.Engine.Ingestion.Sources.Webhook;

/// <summary>What keeps acknowledged work from being lost: retries after a transient failure (Hangfire jobs) and the start-up sweep.</summary>
internal sealed partial class WebhookWorker
{
    /// <summary>A transient failure (throttling, 5xx) left an email waiting: try it again when it is due, as a new request.</summary>
    private async Task ScheduleRetriesAsync(int credentialId, List<WorkItem> work, CancellationToken cancellationToken)
    {
        var ids = work.Select(w => w.EmailId).ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var waiting = await db.Set<InboundEmail>().AsNoTracking()
            .Where(e => ids.Contains(e.Id) && e.Stage != InboundStage.Done && e.Status != InboundStatus.Failed && e.NextAttemptAt != null)
            .Select(e => new { e.Id, e.NextAttemptAt }).ToListAsync(cancellationToken);
        foreach (var email in waiting)
        {
            // A Hangfire job at the next attempt time, not a timer in this process: it is listed on Background Jobs, and a
            // restart before it runs loses nothing (the start-up sweep resumes the email; a job that finds it finished does nothing).
            jobs.Schedule<WebhookRetryJob>(j => j.RunAsync(credentialId, email.Id, CancellationToken.None), email.NextAttemptAt!.Value);
        }
    }

    /// <summary>Queues a waiting webhook email again as a new request, unless it has meanwhile finished, failed or been resumed.</summary>
    internal async Task RetryAsync(int credentialId, long emailId, CancellationToken cancellationToken)
    {
        int mailboxId;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var email = await db.Set<InboundEmail>().AsNoTracking().Where(e => e.Id == emailId)
                .Select(e => new { e.MailboxId, e.Stage, e.Status, e.NextAttemptAt }).SingleOrDefaultAsync(cancellationToken);
            if (email is null || email.Stage == InboundStage.Done || email.Status == InboundStatus.Failed || email.NextAttemptAt is null)
            {
                return;
            }

            mailboxId = email.MailboxId;
        }

        var (requestId, traceParent) = await NewRequestAsync(emailId, mailboxId, "Retrying after a temporary failure.", cancellationToken);
        queue.Post([new QueuedWork(credentialId, 0, emailId, requestId, null, traceParent)]);
    }

    /// <summary>The periodic recovery: takes over the webhook work of dead nodes (and of this node's previous process).</summary>
    public Task RecoverAsync(CancellationToken cancellationToken) =>
        options.Value.PauseProcessing ? Task.CompletedTask : SweepAsync(periodic: true, cancellationToken);

    /// <summary>
    /// Re-queues what a restart or a dead node left: pending webhook requests of unfinished emails, webhook emails never fetched,
    /// pending lifecycle events. Only rows nobody holds (unclaimed, expired, or claimed by a dead node): each is claimed for this
    /// node by a conditional UPDATE first, so two nodes' sweeps never both take one, and a live node's work is never taken.
    /// The periodic sweep leaves emails waiting for a scheduled retry to that retry until it is overdue (<see cref="WebhookRetries"/>).
    /// </summary>
    internal async Task SweepAsync(bool periodic, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var overdue = WebhookRetries.OverdueBefore(now);
        var (me, name, until) = (nodes.InstanceId, nodes.Name, now + nodes.LeaseTime);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var requests = db.Set<InboundRequest>();
        var unfinished = nodes.Abandoned(db.Set<InboundEmail>(), db, now)
            .Where(e => e.Stage != InboundStage.Done && e.CredentialId != null && (!periodic || e.NextAttemptAt == null || e.NextAttemptAt <= overdue))
            .Where(e => requests.Any(r => r.InboundEmailId == e.Id && r.Kind == RequestKind.Webhook && r.Outcome == RequestOutcome.Pending)
                        || (e.FoundBy == RequestKind.Webhook && e.Stage == InboundStage.Discovered && e.Status != InboundStatus.Failed));
        var candidates = await unfinished.Select(e => e.Id).ToListAsync(cancellationToken);
        var work = new List<QueuedWork>();
        if (candidates.Count > 0)
        {
            await unfinished.Where(e => candidates.Contains(e.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.ClaimedBy, me).SetProperty(e => e.ClaimExpiresAt, until).SetProperty(e => e.Node, name), cancellationToken);
            var taken = await db.Set<InboundEmail>().AsNoTracking().Where(e => candidates.Contains(e.Id) && e.ClaimedBy == me)
                .Select(e => new { e.Id, e.MailboxId, CredentialId = e.CredentialId!.Value }).ToListAsync(cancellationToken);
            var takenIds = taken.Select(e => e.Id).ToList();
            var pending = await requests.AsNoTracking()
                .Where(r => r.InboundEmailId != null && takenIds.Contains(r.InboundEmailId.Value) && r.Kind == RequestKind.Webhook && r.Outcome == RequestOutcome.Pending)
                .GroupBy(r => r.InboundEmailId!.Value).Select(g => new { EmailId = g.Key, RequestId = g.Max(r => r.Id) })
                .ToDictionaryAsync(p => p.EmailId, p => p.RequestId, cancellationToken);
            // The traces the notifications started go on where they stopped (a request without one starts its own).
            var openIds = pending.Values.ToList();
            var traces = await requests.AsNoTracking().Where(r => openIds.Contains(r.Id) && r.TraceParent != null)
                .ToDictionaryAsync(r => r.Id, r => r.TraceParent, cancellationToken);
            foreach (var email in taken)
            {
                var (requestId, traceParent) = pending.TryGetValue(email.Id, out var open)
                    ? (open, traces.GetValueOrDefault(open))
                    : await NewRequestAsync(email.Id, email.MailboxId, periodic ? "Resuming a webhook email another portal node left unfinished." : "Resuming a webhook email after a restart.", cancellationToken);
                work.Add(new QueuedWork(email.CredentialId, 0, email.Id, requestId, null, traceParent));
            }
        }

        var lifecycle = nodes.Abandoned(requests, db, now).Where(r => r.Kind == RequestKind.Lifecycle && r.Outcome == RequestOutcome.Pending);
        var lifecycleIds = await lifecycle.Select(r => r.Id).ToListAsync(cancellationToken);
        if (lifecycleIds.Count > 0)
        {
            await lifecycle.Where(r => lifecycleIds.Contains(r.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.ClaimedBy, me).SetProperty(r => r.ClaimExpiresAt, until), cancellationToken);
            foreach (var request in await requests.AsNoTracking().Where(r => lifecycleIds.Contains(r.Id) && r.ClaimedBy == me).ToListAsync(cancellationToken))
            {
                if (LifecycleOf(request) is { } found)
                {
                    work.Add(found);
                }
            }
        }

        if (work.Count > 0)
        {
            logger.LogInformation(periodic ? "Taking over {Count} webhook notification(s) another portal node left unprocessed" : "Resuming {Count} acknowledged webhook notification(s) left unprocessed by a restart", work.Count);
            queue.Post(work);
        }
    }

    private QueuedWork? LifecycleOf(InboundRequest request)
    {
        try
        {
            using var doc = JsonDocument.Parse(request.RawData ?? []);
            var graphId = doc.RootElement.GetProperty("subscriptionId").GetString();
            var lifecycleEvent = doc.RootElement.GetProperty("lifecycleEvent").GetString();
            using var db = contexts.CreateDbContext();
            var subscription = db.Set<GraphSubscription>().AsNoTracking().SingleOrDefault(s => s.GraphSubscriptionId == graphId);
            return subscription is null || lifecycleEvent is null ? null : new QueuedWork(subscription.CredentialId, subscription.Id, null, request.Id, lifecycleEvent);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A new webhook request for an email, continuing the trace of the notification that announced it.</summary>
    private async Task<(long RequestId, string? TraceParent)> NewRequestAsync(long emailId, int mailboxId, string message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var traceParent = await db.Set<InboundRequest>().AsNoTracking()
            .Where(r => r.InboundEmailId == emailId && r.Kind == RequestKind.Webhook && r.TraceParent != null)
            .OrderByDescending(r => r.Id).Select(r => r.TraceParent).FirstOrDefaultAsync(cancellationToken);
        var request = InboundRequest.Open(mailboxId, RequestKind.Webhook, now, message, emailId);
        request.TraceParent = traceParent;
        db.Add(request);
        await db.SaveChangesAsync(cancellationToken);
        return (request.Id, traceParent);
    }
}
