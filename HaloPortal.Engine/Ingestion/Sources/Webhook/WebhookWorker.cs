using HaloPortal.Engine.BackendServices;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Ingestion.Sources.Scan;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Engine.Tokens;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mailbox = HaloPortal.Engine.Mailboxes.Mailbox;

namespace HaloPortal.Engine.Ingestion.Sources.Webhook;

/// <summary>
/// Processes acknowledged notifications in the background: fetches each message by id and runs the durable ingestion
/// pipeline, in batches per credential; handles lifecycle events. At start-up it sweeps the database for notifications a
/// restart left unprocessed, so an acknowledged notification is never lost.
/// </summary>
internal sealed partial class WebhookWorker(
    IDbContextFactory<PortalDbContext> contexts,
    WebhookQueue queue,
    InboundProcessor processor,
    WebhookReadRecorder reads,
    MailboxScanner scanner,
    SubscriptionLifecycle subscriptions,
    IBackendServices backendServices,
    IBackgroundJobClient jobs,
    TimeProvider time,
    IOptions<WebhookOptions> options,
    IOptions<PortalOptions> portal,
    Nodes.NodeRegistry nodes,
    IHostApplicationLifetime lifetime,
    ILogger<WebhookWorker> logger) : BackgroundService, Nodes.INodeRecovery
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.PauseProcessing)
        {
            logger.LogWarning("Portal:Webhooks:PauseProcessing is on: acknowledged notifications wait in the database");
            return;
        }

        // Graph calls (and the sandbox's own address) need the server listening: start once the host has started.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        try
        {
            await SweepAsync(periodic: false, stoppingToken);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogError(ex, "The start-up sweep of unprocessed webhook notifications failed; the safety scan will pick them up");
        }

        await Task.WhenAll(MailLoopAsync(stoppingToken), LifecycleLoopAsync(stoppingToken));
    }

    private async Task MailLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<QueuedWork>();
        try
        {
            while (await queue.Mail.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < options.Value.ProcessingBatchSize && queue.Mail.TryRead(out var item))
                {
                    batch.Add(item);
                }

                foreach (var group in batch.GroupBy(w => w.CredentialId))
                {
                    try
                    {
                        await ProcessAsync(group.Key, group.ToList(), stoppingToken);
                    }
                    catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                    {
                        // Everything is still in the database at its stage: the next sweep or safety scan resumes it.
                        logger.LogError(ex, "Processing {Count} webhook notification(s) of credential {CredentialId} failed", group.Count(), group.Key);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task LifecycleLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var work in queue.Lifecycle.ReadAllAsync(stoppingToken))
            {
                await HandleLifecycleAsync(work, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ProcessAsync(int credentialId, List<QueuedWork> items, CancellationToken cancellationToken)
    {
        if (!(await backendServices.GetAsync(cancellationToken)).IngestionRunning)
        {
            logger.LogInformation("Backend services are off: {Count} webhook notification(s) wait for the next scan", items.Count);
            return;
        }

        MailboxCredential? credential;
        Mailbox? mailbox;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            credential = await db.Set<MailboxCredential>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == credentialId, cancellationToken);
            mailbox = credential is null ? null : await db.Set<Mailbox>().AsNoTracking().SingleOrDefaultAsync(m => m.Id == credential.MailboxId, cancellationToken);
        }

        if (credential is null || mailbox is null || credential.Instance != portal.Value.Instance || credential.TargetAddress is null)
        {
            logger.LogWarning("Webhook notifications for credential {CredentialId} cannot be processed here (deleted, not connected, or another instance)", credentialId);
            return;
        }

        var read = 0;
        using (await scanner.LockAsync(credentialId, cancellationToken))
        {
            var work = await CloseFinishedAsync(items, cancellationToken);
            if (work.Count > 0)
            {
                read = (await processor.ProcessAsync(credential, mailbox, work, cancellationToken)).Read;
                await ScheduleRetriesAsync(credentialId, work, cancellationToken);
            }
        }

        // Here, not in the shared fetch: scans and replays read through the same pipeline, and only these reads are the webhook's.
        if (read > 0)
        {
            await reads.RecordAsync(credentialId, cancellationToken);
        }

        try
        {
            await subscriptions.RenewIfDueAsync(credentialId, RenewalTrigger.Webhook, cancellationToken);
        }
        catch (CredentialException ex)
        {
            logger.LogWarning("Renewing the subscription while processing webhooks failed: {Code}", ex.Error.Code);
        }
    }

    /// <summary>Emails a scan finished meanwhile need no second pass: their webhook requests are closed with that note.</summary>
    private async Task<List<WorkItem>> CloseFinishedAsync(List<QueuedWork> items, CancellationToken cancellationToken)
    {
        var emailIds = items.Select(i => i.EmailId!.Value).Distinct().ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var emails = await db.Set<InboundEmail>().AsNoTracking().Where(e => emailIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, cancellationToken);
        var work = new List<WorkItem>();
        var now = time.GetUtcNow();
        foreach (var item in items)
        {
            if (emails.TryGetValue(item.EmailId!.Value, out var email) && email.Stage != InboundStage.Done && work.All(w => w.EmailId != email.Id))
            {
                work.Add(new WorkItem(email.Id, item.RequestId, item.TraceParent));
                continue;
            }

            var request = await db.Set<InboundRequest>().SingleOrDefaultAsync(r => r.Id == item.RequestId, cancellationToken);
            if (request is not null && request.Outcome == RequestOutcome.Pending)
            {
                request.Append("Info", email is null
                    ? "The email record no longer exists."
                    : $"Already handled (status {email.Status}) by another request; nothing to do.", now);
                request.Complete(email is null ? RequestOutcome.Failed : RequestOutcome.Ignored, now);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        return work;
    }

    private async Task HandleLifecycleAsync(QueuedWork work, CancellationToken cancellationToken)
    {
        if (!await ClaimLifecycleAsync(work.RequestId, cancellationToken))
        {
            logger.LogInformation("Lifecycle event {Event} (request {RequestId}) is handled by another portal node", work.LifecycleEvent, work.RequestId);
            return;
        }

        var lines = new List<(string Level, string Message)>();
        var outcome = RequestOutcome.Succeeded;
        try
        {
            lines.Add(("Info", await subscriptions.HandleLifecycleAsync(work.SubscriptionId, work.LifecycleEvent!, cancellationToken)));
            if (work.LifecycleEvent is "subscriptionRemoved" or "missed")
            {
                var report = await scanner.ScanAsync(work.CredentialId, RequestKind.Lifecycle, cancellationToken: cancellationToken);
                if (report.Error is { } error)
                {
                    outcome = RequestOutcome.Failed;
                    lines.Add(("Error", $"Catch-up scan failed: {error.Title}: {error.Message} How to fix: {error.Fix}"));
                }
                else
                {
                    lines.Add(("Info", report.Skipped ?? $"Catch-up scan (delta query): {Plural.Of(report.Fetched, "new email")}, {Plural.Of(report.Created, "ticket")} opened, {report.Updated} updated."));
                }

                if (report.Note is { } note)
                {
                    lines.Add(("Warning", note));
                }
            }
        }
        catch (CredentialException ex)
        {
            outcome = RequestOutcome.Failed;
            lines.Add(("Error", $"{ex.Error.Title}: {ex.Error.Message} How to fix: {ex.Error.Fix}"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            outcome = RequestOutcome.Failed;
            logger.LogError(ex, "Handling lifecycle event {Event} failed", work.LifecycleEvent);
            lines.Add(("Error", $"Handling the event failed: {ex.Message}"));
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var request = await db.Set<InboundRequest>().SingleOrDefaultAsync(r => r.Id == work.RequestId, cancellationToken);
        if (request is not null)
        {
            var now = time.GetUtcNow();
            request.Append(lines.Select(l => new LogLine(now, l.Level, l.Message)));
            request.Node = nodes.Name;
            request.ClaimedBy = null;
            request.ClaimExpiresAt = null;
            request.Complete(outcome, now);
            await db.SaveChangesAsync(cancellationToken);
        }
    }
}

internal sealed partial class WebhookWorker
{
    /// <summary>A lifecycle event is handled once: by the node that claims its pending request (free, expired, this node's, or a dead node's).</summary>
    private async Task<bool> ClaimLifecycleAsync(long requestId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var (me, until) = (nodes.InstanceId, now + nodes.LeaseTime);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await nodes.Claimable(db.Set<InboundRequest>().Where(r => r.Id == requestId && r.Outcome == RequestOutcome.Pending), db, now)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ClaimedBy, me).SetProperty(r => r.ClaimExpiresAt, until), cancellationToken) == 1;
    }
}

/// <summary>The next attempt of a webhook email that a transient failure (throttling, a 5xx) left waiting, scheduled for its time.</summary>
internal sealed class WebhookRetryJob
{
    private readonly WebhookWorker _worker;

    internal WebhookRetryJob(WebhookWorker worker) => _worker = worker;

    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(int credentialId, long emailId, CancellationToken cancellationToken) => _worker.RetryAsync(credentialId, emailId, cancellationToken);
}
