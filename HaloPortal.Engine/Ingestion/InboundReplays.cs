using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Ingestion;

/// <summary>A replay refused because the email is not failed: it is still being processed or waits for a planned attempt.</summary>
public sealed class ReplayRefusedException(string message) : InvalidOperationException(message);

/// <summary>Replay: a new attempt of a failed email, queued by a person and run in the background through the pipeline.</summary>
public interface IInboundReplays
{
    /// <summary>Queues a new attempt of the email behind a request; returns the new request's id. Refuses an email still in progress.</summary>
    Task<long> ReplayAsync(long requestId, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Runs a queued replay now (the job calls this).</summary>
    Task RunReplayAsync(long replayRequestId, CancellationToken cancellationToken = default);
}

internal sealed class ReplayJob(IInboundReplays replays)
{
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(long replayRequestId, CancellationToken cancellationToken) => replays.RunReplayAsync(replayRequestId, cancellationToken);
}

internal sealed class InboundReplays(
    IDbContextFactory<PortalDbContext> contexts,
    InboundProcessor processor,
    IBackgroundJobClient jobs,
    TimeProvider time) : IInboundReplays
{
    public async Task<long> ReplayAsync(long requestId, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var original = await db.Set<InboundRequest>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == requestId, cancellationToken)
            ?? throw new KeyNotFoundException($"Request {requestId} does not exist.");
        if (original.InboundEmailId is null)
        {
            throw new ArgumentException("This request carries no email (it was rejected before one was recorded), so there is nothing to replay.", nameof(requestId));
        }

        var state = await db.Set<InboundEmail>().AsNoTracking().Where(e => e.Id == original.InboundEmailId)
            .Select(e => new { e.Status, e.NextAttemptAt, e.Attempts }).SingleAsync(cancellationToken);
        if (state.Status is InboundStatus.Pending or InboundStatus.Processing)
        {
            // A replay now would run beside the attempt that is already planned or running: only a failed email needs one.
            throw new ReplayRefusedException(state.NextAttemptAt is { } next
                ? $"Email {original.InboundEmailId} is not failed: it is waiting for its next attempt at {next:yyyy-MM-dd HH:mm:ss} UTC (after {state.Attempts} so far). Replay is for failed emails; wait for that attempt or for the email to fail."
                : $"Email {original.InboundEmailId} is not failed: it is still being processed. Replay is for failed emails; wait until processing ends.");
        }

        var now = time.GetUtcNow();
        var replay = InboundRequest.Open(original.MailboxId, RequestKind.Replay, now, $"Replay of request {requestId} queued by {actor}.", original.InboundEmailId)
            .WithRaw(original.RawData, original.RawContentType);
        replay.ReplayOfRequestId = requestId;
        db.Add(replay);
        db.Audit(time, actor, "InboundRequest.Replayed", "InboundEmail", original.InboundEmailId.ToString(), null, new { RequestId = requestId });
        await db.SaveChangesAsync(cancellationToken);
        jobs.Enqueue<ReplayJob>(j => j.RunAsync(replay.Id, CancellationToken.None));
        return replay.Id;
    }

    public async Task RunReplayAsync(long replayRequestId, CancellationToken cancellationToken = default)
    {
        MailboxCredential? credential;
        Mailbox? mailbox;
        InboundEmail? email;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var request = await db.Set<InboundRequest>().SingleOrDefaultAsync(r => r.Id == replayRequestId, cancellationToken);
            email = request?.InboundEmailId is { } emailId ? await db.Set<InboundEmail>().SingleOrDefaultAsync(e => e.Id == emailId, cancellationToken) : null;
            if (request is null || email is null)
            {
                return;
            }

            var log = new ProcessingLog(time);
            if (email.Stage == InboundStage.Done && email.Status is InboundStatus.Processed or InboundStatus.Ignored)
            {
                var ticket = email.TicketId is { } t ? await db.Set<Tickets.Ticket>().Where(x => x.Id == t).Select(x => (int?)x.Number).SingleOrDefaultAsync(cancellationToken) : null;
                log.Info(ticket is { } n
                    ? $"Already processed into ticket #{n}: nothing to do (one email never makes two tickets)."
                    : $"Already {email.Status.ToString().ToLowerInvariant()}: {email.Reason}");
                request.Append(log);
                request.Complete(email.Status == InboundStatus.Processed ? RequestOutcome.Succeeded : RequestOutcome.Ignored, time.GetUtcNow());
                await db.SaveChangesAsync(cancellationToken);
                return;
            }

            // A failed email starts again from what we hold: its raw MIME when fetched, else the mailbox.
            email.Stage = email.RawMime is null ? InboundStage.Discovered : InboundStage.Fetched;
            email.Status = InboundStatus.Pending;
            email.ScheduledRetries = 0;
            email.NextAttemptAt = null;
            email.ErrorCode = null;
            email.Reason = null;
            email.UpdatedAt = time.GetUtcNow();
            log.Info($"Restarting from stage {email.Stage}.");
            request.Append(log);
            await db.SaveChangesAsync(cancellationToken);

            mailbox = await db.Set<Mailbox>().AsNoTracking().SingleAsync(m => m.Id == email.MailboxId, cancellationToken);
            credential = email.CredentialId is { } cid ? await db.Set<MailboxCredential>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == cid, cancellationToken) : null;
        }

        if (credential is null)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var request = await db.Set<InboundRequest>().SingleAsync(r => r.Id == replayRequestId, cancellationToken);
            var log = new ProcessingLog(time);
            log.Error("The credential that found this email no longer exists; add credentials to the mailbox and replay again.");
            request.Append(log);
            request.Complete(RequestOutcome.Failed, time.GetUtcNow());
            await db.SaveChangesAsync(cancellationToken);
            return;
        }

        await processor.ProcessAsync(credential, mailbox, [new WorkItem(email.Id, replayRequestId)], cancellationToken);
    }
}
