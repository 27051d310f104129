using System.Threading.Channels;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Parsing;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Ingestion;

/// <summary>One email to take through the pipeline, and the request (attempt) whose log records it; <see cref="TraceParent"/> the trace it continues.</summary>
internal sealed record WorkItem(long EmailId, long RequestId, string? TraceParent = null);

/// <summary>
/// The durable pipeline: fetch the raw message and commit it; parse, classify, apply rules and write the ticket; only then
/// the mailbox side effect. Every step is idempotent and resumes from the email's stage.
/// </summary>
/// <remarks>
/// The three stages run as a pipeline over a batch: raw messages are fetched ahead (at most
/// <see cref="MailboxConcurrencyLimiter.MaxConcurrentRequestsPerMailbox"/> at a time, a bounded window ahead of the decisions);
/// the decisions follow in arrival order, a run of fetched emails at a time — their raw messages committed in one
/// transaction, then their tickets in another — and the side effects of decided emails are sent in $batch requests of 20
/// while the next emails are still being decided. A run that fails as a whole is decided again one email at a time, so
/// one bad email never holds back the others.
/// </remarks>
internal sealed partial class InboundProcessor(
    IDbContextFactory<PortalDbContext> contexts,
    IGraphClients graph,
    MailboxSideEffects sideEffects,
    IDeployment deployment,
    TimeProvider time,
    IOptions<IngestionOptions> options,
    ILogger<InboundProcessor> logger,
    IEnumerable<INewTicketObserver> newTicketObservers,
    IEnumerable<IInboundBatchObserver> batchObservers,
    IPipelineProbe probe,
    Nodes.NodeRegistry nodes,
    Telemetry.PortalTelemetry telemetry)
{
    /// <summary>How many emails may be fetched ahead of the decisions (bounds the raw messages held in memory).</summary>
    private const int FetchWindow = 32;

    /// <summary>The most emails decided in one transaction.</summary>
    private const int DecideRun = 32;

    private readonly EmailParser _parser = new();

    private Telemetry.PortalTelemetry Telemetry => telemetry;

    private async Task<BatchOutcome> ProcessClaimedAsync(MailboxCredential credential, Mailbox mailbox, IReadOnlyList<WorkItem> all, CancellationToken cancellationToken)
    {
        // Each email's attempt is one activity (continuing its notification's trace), carried through the stages by its log.
        var logs = new Dictionary<long, ProcessingLog>();
        foreach (var item in all.DistinctBy(i => i.EmailId))
        {
            logs[item.EmailId] = new ProcessingLog(time) { Trace = telemetry.StartEmail(item.TraceParent, item.EmailId, item.RequestId, mailbox.Id) };
        }

        try
        {
            return await ProcessStagesAsync(credential, mailbox, all, logs, cancellationToken);
        }
        finally
        {
            foreach (var log in logs.Values)
            {
                log.Trace?.Dispose();
            }
        }
    }

    private async Task<BatchOutcome> ProcessStagesAsync(MailboxCredential credential, Mailbox mailbox, IReadOnlyList<WorkItem> all, Dictionary<long, ProcessingLog> logs, CancellationToken cancellationToken)
    {
        var outcome = new BatchOutcome();

        // An email listed twice (two requests for it in one batch) is taken through the pipeline once; its other requests
        // are closed with the same outcome.
        IReadOnlyList<WorkItem> items = all.DistinctBy(i => i.EmailId).ToList();
        List<WorkItem> extra = all.Count == items.Count ? [] : all.Except(items).ToList();

        await HookAsync("discovered", items);

        var client = graph.For(credential);
        var address = credential.TargetAddress ?? throw new InvalidOperationException("The credential is not connected to a mailbox yet.");
        var config = await LoadDecisionContextAsync(cancellationToken);
        var stages = await LoadStagesAsync(items, cancellationToken);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var window = new SemaphoreSlim(FetchWindow);
        using var slots = new SemaphoreSlim(MailboxConcurrencyLimiter.MaxConcurrentRequestsPerMailbox);
        var fetcher = new Fetcher(this, graph.For(credential, retries: false), address, mailbox, window, slots, stop.Token);
        var fetches = items.Select(item => fetcher.FetchAsync(item, stages.GetValueOrDefault(item.EmailId), logs[item.EmailId])).ToList();

        var decided = Channel.CreateUnbounded<SideEffectWork>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var sideEffectWorker = RunSideEffectsAsync(client, address, mailbox, decided.Reader, logs, cancellationToken);
        try
        {
            for (var start = 0; start < items.Count;)
            {
                // The next run: the email in turn (waited for) and those behind it that are already fetched.
                await fetches[start];
                var end = start + 1;
                while (end < items.Count && end - start < DecideRun && fetches[end].IsCompleted)
                {
                    end++;
                }

                var run = new List<Fetched>(end - start);
                for (var i = start; i < end; i++)
                {
                    run.Add(await fetches[i]);
                }

                await CommitFetchedAsync(mailbox, run, logs, cancellationToken);
                foreach (var fetched in run.Where(f => f.HoldsWindow))
                {
                    window.Release();
                }

                await HookAsync("fetched", run.Select(f => f.Item));
                foreach (var work in await DecideRunAsync(mailbox, run.Select(f => f.Item).ToList(), logs, config, cancellationToken))
                {
                    decided.Writer.TryWrite(work);
                }

                start = end;
            }

            decided.Writer.TryComplete();
            await sideEffectWorker;
        }
        finally
        {
            // A crash mid-batch stops the fetches, lets the side effects of what is already decided finish, and waits for
            // both, so no write races the caller's next step.
            decided.Writer.TryComplete();
            await stop.CancelAsync();

            await Task.WhenAll(fetches.Append(sideEffectWorker).Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        }

        outcome.Read = fetcher.Read;

        // Close the requests with their logs and outcomes.
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var ids = items.Select(i => i.EmailId).ToList();
        var emails = await db.Set<InboundEmail>().AsNoTracking().Where(e => ids.Contains(e.Id)).ToDictionaryAsync(e => e.Id, cancellationToken);
        var requestIds = all.Select(i => i.RequestId).ToList();
        var requests = await db.Set<InboundRequest>().Where(r => requestIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, cancellationToken);
        foreach (var item in items)
        {
            if (!emails.TryGetValue(item.EmailId, out var email) || !requests.TryGetValue(item.RequestId, out var request))
            {
                continue;
            }

            request.Append(logs[item.EmailId]);
            request.Node = nodes.Name;
            request.Complete(email.Status switch
            {
                InboundStatus.Processed => RequestOutcome.Succeeded,
                InboundStatus.Ignored => RequestOutcome.Ignored,
                InboundStatus.Failed => RequestOutcome.Failed,
                _ => email.NextAttemptAt is not null ? RequestOutcome.Failed : RequestOutcome.Pending,
            }, time.GetUtcNow());
            outcome.Count(email);
            Finished(mailbox, email, stages.GetValueOrDefault(item.EmailId), logs[item.EmailId].Trace);
        }

        foreach (var item in extra)
        {
            if (emails.TryGetValue(item.EmailId, out var email) && requests.TryGetValue(item.RequestId, out var request))
            {
                var primary = items.First(i => i.EmailId == item.EmailId).RequestId;
                var now = time.GetUtcNow();
                request.Append("Info", $"The same email was also listed by request #{primary} of this batch; it was processed once, there.", now);
                request.Node = nodes.Name;
                request.Complete(requests[primary].Outcome, now);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        foreach (var observer in batchObservers)
        {
            await observer.AfterBatchAsync(mailbox, emails.Values, cancellationToken);
        }
        return outcome;
    }

    private async Task HookAsync(string stage, IEnumerable<WorkItem> items)
    {
        foreach (var item in items)
        {
            await probe.AfterStageAsync(stage, item.EmailId);
        }
    }

    /// <summary>
    /// Counts an email that reached its end in this attempt (never one that had ended before it, e.g. a second request for it), and
    /// closes its activity with the outcome.
    /// </summary>
    private void Finished(Mailbox mailbox, InboundEmail email, StageOf? before, System.Diagnostics.Activity? trace)
    {
        var ended = email.Stage == InboundStage.Done || email.Status == InboundStatus.Failed;
        if (ended && before is { Ended: false })
        {
            telemetry.EmailFinished(mailbox.Id, email.Status.ToString(), email.ErrorCode);
        }

        if (trace is not null)
        {
            trace.SetTag("inbound.status", email.Status.ToString());
            trace.SetTag("inbound.stage", email.Stage.ToString());
            trace.SetTag("ticket.id", email.TicketId);
            trace.SetTag("error.code", email.ErrorCode);
            if (email.Status == InboundStatus.Failed || email.NextAttemptAt is not null)
            {
                trace.SetStatus(System.Diagnostics.ActivityStatusCode.Error, email.Reason);
            }

            trace.Stop();
        }
    }

    private sealed record StageOf(InboundStage Stage, string? GraphMessageId, bool KnowsSender, bool Ended);

    /// <summary>Where each email stands; every unfinished one counts this run as an attempt.</summary>
    private async Task<Dictionary<long, StageOf>> LoadStagesAsync(IReadOnlyList<WorkItem> items, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var ids = items.Select(i => i.EmailId).ToList();
        await db.Set<InboundEmail>().Where(e => ids.Contains(e.Id) && e.Stage != InboundStage.Done)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Attempts, e => e.Attempts + 1), cancellationToken);
        return await db.Set<InboundEmail>().AsNoTracking()
            .Where(e => ids.Contains(e.Id))
            .Select(e => new { e.Id, e.Stage, e.GraphMessageId, KnowsSender = e.From != null, e.Status })
            .ToDictionaryAsync(e => e.Id, e => new StageOf(e.Stage, e.GraphMessageId, e.KnowsSender, e.Stage == InboundStage.Done || e.Status == InboundStatus.Failed), cancellationToken);
    }

    internal static TimeSpan Backoff(int attempts) => TimeSpan.FromSeconds(Math.Min(15 * Math.Pow(2, Math.Max(0, attempts - 1)), 1800));
}

/// <summary>Counts of a processed batch, and the first failures with their reasons.</summary>
internal sealed class BatchOutcome
{
    /// <summary>How many failed emails a report lists; the inbound log has them all.</summary>
    public const int MaxFailuresListed = 10;

    private readonly List<ScanFailure> _failures = [];

    public IReadOnlyList<ScanFailure> Failures => _failures;

    public int Created { get; private set; }

    public int Updated { get; private set; }

    public int Ignored { get; private set; }

    public int Failed { get; private set; }

    public int Pending { get; private set; }

    /// <summary>How many raw messages the batch read from Graph.</summary>
    public int Read { get; set; }

    public void Count(InboundEmail email)
    {
        switch (email.Status)
        {
            case InboundStatus.Ignored:
                Ignored++;
                break;
            case InboundStatus.Failed:
                Failed++;
                if (_failures.Count < MaxFailuresListed)
                {
                    _failures.Add(new ScanFailure(email.Id, email.Subject, email.From, email.Reason));
                }

                break;
            case InboundStatus.Processed or InboundStatus.Processing when email.TicketId is not null:
                if (email.Reason?.StartsWith("Opened", StringComparison.Ordinal) == true)
                {
                    Created++;
                }
                else
                {
                    Updated++;
                }

                break;
            default:
                Pending++;
                break;
        }
    }

    public void Add(BatchOutcome other)
    {
        Created += other.Created;
        Updated += other.Updated;
        Ignored += other.Ignored;
        Failed += other.Failed;
        Pending += other.Pending;
        Read += other.Read;
        _failures.AddRange(other._failures.Take(MaxFailuresListed - _failures.Count));
    }
}
