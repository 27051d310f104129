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

        var requestId = await NewRequestAsync(emailId, mailboxId, "Retrying after a temporary failure.", cancellationToken);
        queue.Post([new QueuedWork(credentialId, 0, emailId, requestId, null)]);
    }

    /// <summary>Re-queues what a restart left: pending webhook requests of unfinished emails, webhook emails never fetched, pending lifecycle events.</summary>
    internal async Task SweepAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var pending = await (from r in db.Set<InboundRequest>()
                             join e in db.Set<InboundEmail>() on r.InboundEmailId equals e.Id
                             where r.Kind == RequestKind.Webhook && r.Outcome == RequestOutcome.Pending && e.Stage != InboundStage.Done && e.CredentialId != null
                             select new { RequestId = r.Id, EmailId = e.Id, CredentialId = e.CredentialId!.Value }).ToListAsync(cancellationToken);
        var covered = pending.Select(p => p.EmailId).ToHashSet();
        var work = pending.GroupBy(p => p.EmailId).Select(g => g.OrderByDescending(p => p.RequestId).First())
            .Select(p => new QueuedWork(p.CredentialId, 0, p.EmailId, p.RequestId, null)).ToList();

        var orphans = await db.Set<InboundEmail>().AsNoTracking()
            .Where(e => e.FoundBy == RequestKind.Webhook && e.Stage == InboundStage.Discovered && e.Status != InboundStatus.Failed && e.CredentialId != null)
            .Select(e => new { e.Id, e.MailboxId, CredentialId = e.CredentialId!.Value }).ToListAsync(cancellationToken);
        foreach (var orphan in orphans.Where(o => !covered.Contains(o.Id)))
        {
            var requestId = await NewRequestAsync(orphan.Id, orphan.MailboxId, "Resuming a webhook email after a restart.", cancellationToken);
            work.Add(new QueuedWork(orphan.CredentialId, 0, orphan.Id, requestId, null));
        }

        var lifecycle = await (from r in db.Set<InboundRequest>()
                               where r.Kind == RequestKind.Lifecycle && r.Outcome == RequestOutcome.Pending
                               select r).AsNoTracking().ToListAsync(cancellationToken);
        foreach (var request in lifecycle)
        {
            if (LifecycleOf(request) is { } found)
            {
                work.Add(found);
            }
        }

        if (work.Count > 0)
        {
            logger.LogInformation("Resuming {Count} acknowledged webhook notification(s) left unprocessed by a restart", work.Count);
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

    private async Task<long> NewRequestAsync(long emailId, int mailboxId, string message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var request = InboundRequest.Open(mailboxId, RequestKind.Webhook, now, message, emailId);
        db.Add(request);
        await db.SaveChangesAsync(cancellationToken);
        return request.Id;
    }
}
