using System.Text;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Identity;
using HaloPortal.Engine.Ingestion.Parsing;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Rules;
using HaloPortal.Engine.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Ingestion;

/// <summary>One email to take through the pipeline, and the request (attempt) whose log records it.</summary>
internal sealed record WorkItem(long EmailId, long RequestId);

/// <summary>
/// The durable pipeline: fetch the raw message and commit it; parse, classify, apply rules and write the ticket in one
/// transaction; only then the mailbox side effect. Every step is idempotent and resumes from the email's stage.
/// </summary>
internal sealed class InboundProcessor(
    IDbContextFactory<PortalDbContext> contexts,
    IGraphClients graph,
    MailboxSideEffects sideEffects,
    IDeployment deployment,
    TimeProvider time,
    IOptions<IngestionOptions> options,
    ILogger<InboundProcessor> logger,
    IEnumerable<INewTicketObserver> newTicketObservers,
    Notifications.EngineProblems problems)
{
    // One writer decides tickets at a time: ticket numbers and threading stay consistent on every provider.
    private static readonly SemaphoreSlim DecideGate = new(1, 1);
    private readonly EmailParser _parser = new();

    /// <summary>
    /// Crash-test hook, called after each stage ("discovered", "fetched", "decided", "side-effects") with an email id;
    /// a test makes it throw to prove that a crash at that point loses nothing and makes no second ticket.
    /// </summary>
    internal Func<string, long, Task>? AfterStage { get; set; }

    public async Task<BatchOutcome> ProcessAsync(MailboxCredential credential, Mailbox mailbox, IReadOnlyList<WorkItem> items, CancellationToken cancellationToken)
    {
        var outcome = new BatchOutcome();
        if (items.Count == 0)
        {
            return outcome;
        }

        if (AfterStage is { } afterDiscovery)
        {
            foreach (var item in items)
            {
                await afterDiscovery("discovered", item.EmailId);
            }
        }

        var client = graph.For(credential);
        var address = credential.TargetAddress ?? throw new InvalidOperationException("The credential is not connected to a mailbox yet.");
        var logs = items.ToDictionary(i => i.EmailId, _ => new ProcessingLog(time));

        // 1. Fetch raw MIME (up to the mailbox's concurrency limit, enforced by the Graph pipeline) while
        // 2. deciding — ticket or ignore, committed per email — in the order the mail arrived, so a reply never
        //    overtakes the message it answers.
        var config = await LoadDecisionContextAsync(credential, cancellationToken);
        using var fetchSlots = new SemaphoreSlim(MailboxConcurrencyLimiter.MaxConcurrentRequestsPerMailbox);
        var fetches = items.Select(async item =>
        {
            await fetchSlots.WaitAsync(cancellationToken);
            try
            {
                await FetchAsync(client, address, mailbox, item, logs[item.EmailId], cancellationToken);
            }
            finally
            {
                fetchSlots.Release();
            }
        }).ToList();
        try
        {
            for (var i = 0; i < items.Count; i++)
            {
                await fetches[i];
                await DecideAsync(mailbox, items[i], logs[items[i].EmailId], config, cancellationToken);
            }
        }
        finally
        {
            // A crash mid-batch still waits for the fetches in flight, so no write races the caller's next step.
            await Task.WhenAll(fetches.Select(f => f.ContinueWith(_ => { }, TaskScheduler.Default)));
        }

        // 3. Mailbox side effects, batched.
        await ApplySideEffectsAsync(client, address, mailbox, items, logs, cancellationToken);

        if (AfterStage is { } afterSideEffects)
        {
            foreach (var item in items)
            {
                await afterSideEffects("side-effects", item.EmailId);
            }
        }

        // 4. Close the requests with their logs and outcomes.
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var ids = items.Select(i => i.EmailId).ToList();
        var emails = await db.Set<InboundEmail>().Where(e => ids.Contains(e.Id)).ToDictionaryAsync(e => e.Id, cancellationToken);
        var requestIds = items.Select(i => i.RequestId).ToList();
        var requests = await db.Set<InboundRequest>().Where(r => requestIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, cancellationToken);
        foreach (var item in items)
        {
            if (!emails.TryGetValue(item.EmailId, out var email) || !requests.TryGetValue(item.RequestId, out var request))
            {
                continue;
            }

            request.LogJson = ProcessingLog.Append(request.LogJson, logs[item.EmailId]);
            request.CompletedAt = time.GetUtcNow();
            request.Outcome = email.Status switch
            {
                InboundStatus.Processed => RequestOutcome.Succeeded,
                InboundStatus.Ignored => RequestOutcome.Ignored,
                InboundStatus.Failed => RequestOutcome.Failed,
                _ => email.NextAttemptAt is not null ? RequestOutcome.Failed : RequestOutcome.Pending,
            };
            outcome.Count(email);
        }

        await db.SaveChangesAsync(cancellationToken);
        await problems.AfterBatchAsync(mailbox, emails.Values, cancellationToken);
        return outcome;
    }

    private async Task FetchAsync(Microsoft.Graph.GraphServiceClient client, string address, Mailbox mailbox, WorkItem item, ProcessingLog log, CancellationToken cancellationToken)
    {
        InboundEmail? email;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            email = await db.Set<InboundEmail>().AsNoTracking().SingleOrDefaultAsync(e => e.Id == item.EmailId, cancellationToken);
        }

        if (email is null || email.Stage != InboundStage.Discovered)
        {
            return;
        }

        var limit = (long)mailbox.MaxEmailSizeMb * 1024 * 1024;
        try
        {
            log.Info($"Fetching the raw message from {address}.");
            await using var stream = await GraphCall.RunAsync(() => client.Users[address].Messages[email.GraphMessageId].Content.GetAsync(cancellationToken: cancellationToken))
                ?? throw new InvalidOperationException("Graph returned no content for the message.");
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken);
            var raw = buffer.ToArray();
            log.Info($"Fetched {raw.Length:N0} bytes.");

            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var row = await db.Set<InboundEmail>().SingleAsync(e => e.Id == item.EmailId, cancellationToken);
            var originalKey = row.DedupeKey;
            row.RawMime = raw;
            row.SizeBytes = raw.Length;
            row.Stage = InboundStage.Fetched;
            row.UpdatedAt = time.GetUtcNow();
            var duplicate = await RekeyAsync(db, row, raw, log, cancellationToken);
            if (!duplicate && raw.LongLength > limit)
            {
                row.Status = InboundStatus.Failed;
                row.Stage = InboundStage.Done;
                row.ErrorCode = "TooLarge";
                row.Reason = $"The email is {raw.LongLength / 1024.0 / 1024.0:F1} MB, over this mailbox's {mailbox.MaxEmailSizeMb} MB limit. It was left in the mailbox; download the raw message from the inbound log, or raise the limit on the mailbox's Incoming tab and replay.";
                log.Error(row.Reason);
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException) when (row.DedupeKey != originalKey)
            {
                // A scan committed the same Message-ID meanwhile: this one becomes its duplicate.
                db.ChangeTracker.Clear();
                await FetchedDuplicateAsync(item.EmailId, raw, row.DedupeKey, log, cancellationToken);
            }
        }
        catch (CredentialException ex) when (ex.Error.Code == "ErrorItemNotFound")
        {
            await FinishAsync(item.EmailId, InboundStatus.Ignored, "The message was deleted or moved out of the folder before it could be fetched.", ex.Error.Code, log, cancellationToken);
        }
        catch (CredentialException ex)
        {
            await FailOrRetryAsync(item.EmailId, ex.Error, log, cancellationToken, ex.RetryAfter);
        }

        if (AfterStage is { } hook)
        {
            await hook("fetched", item.EmailId);
        }
    }

    /// <summary>
    /// An email discovered by a webhook is keyed "graph:{id}" until its MIME is here; now it takes its Message-ID as key. If a
    /// scan already holds that Message-ID, this record is the duplicate: it is closed as such and never opens a second ticket.
    /// </summary>
    private static async Task<bool> RekeyAsync(PortalDbContext db, InboundEmail row, byte[] raw, ProcessingLog log, CancellationToken cancellationToken)
    {
        if (!row.DedupeKey.StartsWith("graph:", StringComparison.Ordinal) || MessageIdOf(raw) is not { } messageId)
        {
            return false;
        }

        var original = await db.Set<InboundEmail>().AsNoTracking()
            .Where(e => e.MailboxId == row.MailboxId && e.DedupeKey == messageId && e.Id != row.Id)
            .Select(e => new { e.Id, e.FoundBy })
            .FirstOrDefaultAsync(cancellationToken);
        row.InternetMessageId ??= messageId;
        if (original is null)
        {
            row.DedupeKey = messageId;
            return false;
        }

        MarkDuplicate(row, original.Id, original.FoundBy, log);
        return true;
    }

    private async Task FetchedDuplicateAsync(long emailId, byte[] raw, string messageId, ProcessingLog log, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<InboundEmail>().SingleAsync(e => e.Id == emailId, cancellationToken);
        var original = await db.Set<InboundEmail>().AsNoTracking().Where(e => e.MailboxId == row.MailboxId && e.DedupeKey == messageId).Select(e => new { e.Id, e.FoundBy }).FirstAsync(cancellationToken);
        row.RawMime = raw;
        row.SizeBytes = raw.Length;
        row.InternetMessageId ??= messageId;
        MarkDuplicate(row, original.Id, original.FoundBy, log);
        row.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
    }

    private static void MarkDuplicate(InboundEmail row, long originalId, RequestKind foundBy, ProcessingLog log)
    {
        row.Status = InboundStatus.Ignored;
        row.Stage = InboundStage.Done;
        row.ErrorCode = "Duplicate";
        row.Reason = $"Duplicate of #{originalId}: the same message (Message-ID {row.InternetMessageId}) was already found by {foundBy}; it is processed there, so no second ticket.";
        log.Info(row.Reason);
    }

    private static string? MessageIdOf(byte[] raw)
    {
        try
        {
            var headers = MimeKit.HeaderList.Load(new MemoryStream(raw, writable: false));
            var value = headers[MimeKit.HeaderId.MessageId]?.Trim().Trim('<', '>').Trim();
            return string.IsNullOrEmpty(value) ? null : value;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private sealed record DecisionContext(IReadOnlyList<EmailRule> Rules, ClassificationContext Classification);

    private async Task<DecisionContext> LoadDecisionContextAsync(MailboxCredential credential, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rules = await db.Set<EmailRule>().AsNoTracking().Where(r => r.Enabled).ToListAsync(cancellationToken);
        var connected = await db.Set<MailboxCredential>().AsNoTracking()
            .Select(c => new { c.EmailAddress, c.SharedMailbox, c.ConnectedAddress })
            .ToListAsync(cancellationToken);
        var addresses = connected.SelectMany(c => new[] { c.EmailAddress, c.SharedMailbox, c.ConnectedAddress })
            .Where(a => !string.IsNullOrWhiteSpace(a)).Select(a => a!.ToLowerInvariant()).ToHashSet();
        return new DecisionContext(rules, new ClassificationContext(deployment.DeploymentId, addresses));
    }

    private async Task DecideAsync(Mailbox mailbox, WorkItem item, ProcessingLog log, DecisionContext context, CancellationToken cancellationToken)
    {
        var opened = false;
        await DecideGate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var email = await db.Set<InboundEmail>().SingleOrDefaultAsync(e => e.Id == item.EmailId, cancellationToken);
            if (email is null || email.Stage != InboundStage.Fetched)
            {
                return;
            }

            ParsedEmail parsed;
            try
            {
                parsed = _parser.Parse(new MemoryStream(email.RawMime ?? []));
            }
            catch (Exception ex)
            {
                email.Status = InboundStatus.Failed;
                email.Stage = InboundStage.Done;
                email.ErrorCode = "Unparseable";
                email.Reason = $"The message could not be read as MIME ({ex.Message}). It was left in the mailbox; download the raw message from the inbound log.";
                log.Error(email.Reason);
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return;
            }

            log.Info($"Parsed: from {parsed.From?.Address ?? "(none)"}, subject \"{parsed.Subject}\", {parsed.Attachments.Count} attachment(s).");
            email.Subject ??= parsed.Subject;
            email.From ??= parsed.From?.Address;
            email.InternetMessageId ??= parsed.MessageId;
            var now = time.GetUtcNow();
            email.UpdatedAt = now;

            var verdict = MailClassifier.Classify(parsed, context.Classification);
            var rule = verdict.Kind == MailKind.Normal ? RuleEvaluator.FirstMatch(context.Rules, mailbox.Id, parsed) : null;
            email.PendingSideEffect = SideEffectName(mailbox.ProcessedAction);

            if (verdict.Kind == MailKind.Bounce)
            {
                email.Status = InboundStatus.Ignored;
                email.Reason = verdict.Reason ?? "Delivery failure report (bounce).";
                var concerned = parsed.BouncedMessageId is null
                    ? null
                    : await db.Set<TicketMessage>().Where(m => m.InternetMessageId == parsed.BouncedMessageId).Select(m => (int?)m.TicketId).FirstOrDefaultAsync(cancellationToken);
                if (concerned is { } ticketId)
                {
                    var ticket = await db.Set<Ticket>().SingleAsync(t => t.Id == ticketId, cancellationToken);
                    ticket.Messages.Add(BounceMessage(email, parsed, now));
                    email.TicketId = ticketId;
                    email.Reason += $" Attached to ticket #{ticket.Number}, which it concerns.";
                }

                log.Info(email.Reason);
            }
            else if (verdict.Kind != MailKind.Normal)
            {
                email.Status = InboundStatus.Ignored;
                email.Reason = verdict.Reason ?? verdict.Kind.ToString();
                log.Info($"Ignored: {email.Reason}. No ticket and no auto-response.");
            }
            else if (rule is { Action: RuleAction.Ignore or RuleAction.Delete })
            {
                email.Status = InboundStatus.Ignored;
                email.Rule = rule.Name;
                email.Reason = rule.Action == RuleAction.Delete
                    ? $"Email rule '{rule.Name}' matched: deleted from the mailbox."
                    : $"Email rule '{rule.Name}' matched: ignored.";
                if (rule.Action == RuleAction.Delete)
                {
                    email.PendingSideEffect = SideEffectName(ProcessedMailAction.Delete);
                }

                log.Info(email.Reason);
            }
            else
            {
                if (rule is not null)
                {
                    email.Rule = rule.Name;
                    log.Info($"Email rule '{rule.Name}' matched: priority {rule.Priority?.ToString() ?? "default"}, category {rule.Category ?? "none"}.");
                }

                var outcome = await TicketWriter.ApplyAsync(db, email.Id, mailbox.Id, parsed, rule?.Priority, rule?.Category, now, cancellationToken);
                email.TicketId = outcome.Ticket.Id;
                email.Reason = outcome.Explanation;
                log.Info(outcome.Explanation);
                if (outcome.Created)
                {
                    // Observers add their rows (e.g. a queued acknowledgement) to this transaction: committed with the ticket or not at all.
                    opened = true;
                    foreach (var observer in newTicketObservers)
                    {
                        if (await observer.OnTicketOpenedAsync(db, new NewTicketFromEmail(outcome.Ticket, mailbox.Id, parsed, verdict, now), cancellationToken) is { } note)
                        {
                            log.Info(note);
                        }
                    }
                }
            }

            email.Stage = InboundStage.Decided;
            if (email.Status != InboundStatus.Ignored)
            {
                email.Status = InboundStatus.Processing;
            }

            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            DecideGate.Release();
        }

        if (opened)
        {
            foreach (var observer in newTicketObservers)
            {
                observer.Committed();
            }
        }

        if (AfterStage is { } hook)
        {
            await hook("decided", item.EmailId);
        }
    }

    private async Task ApplySideEffectsAsync(Microsoft.Graph.GraphServiceClient client, string address, Mailbox mailbox, IReadOnlyList<WorkItem> items, Dictionary<long, ProcessingLog> logs, CancellationToken cancellationToken)
    {
        List<InboundEmail> decided;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var ids = items.Select(i => i.EmailId).ToList();
            decided = await db.Set<InboundEmail>().AsNoTracking().Where(e => ids.Contains(e.Id) && e.Stage == InboundStage.Decided).ToListAsync(cancellationToken);
        }

        foreach (var group in decided.GroupBy(e => e.PendingSideEffect ?? SideEffectName(mailbox.ProcessedAction)))
        {
            var action = Enum.TryParse<ProcessedMailAction>(group.Key, out var a) ? a : mailbox.ProcessedAction;
            var settings = new Mailbox { ProcessedAction = action, ProcessedFolderName = mailbox.ProcessedFolderName };
            IReadOnlyDictionary<string, SideEffectResult> results;
            try
            {
                results = await sideEffects.ApplyAsync(client, address, settings, group.Select(e => e.GraphMessageId!).ToList(), cancellationToken);
            }
            catch (CredentialException ex)
            {
                foreach (var email in group)
                {
                    logs[email.Id].Warn($"The mailbox side effect ({action}) failed: {ex.Error.Message} It will be retried.");
                    await ScheduleRetryAsync(email.Id, ex.RetryAfter, cancellationToken);
                }

                continue;
            }

            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var groupIds = group.Select(e => e.Id).ToList();
            var rows = await db.Set<InboundEmail>().Where(e => groupIds.Contains(e.Id)).ToListAsync(cancellationToken);
            foreach (var row in rows)
            {
                var result = results.TryGetValue(row.GraphMessageId!, out var r) ? r : new SideEffectResult(false, null, "No answer for this message.");
                if (!result.Done)
                {
                    logs[row.Id].Warn(result.Note ?? "The side effect will be retried.");
                    row.Attempts++;
                    row.NextAttemptAt = time.GetUtcNow() + Backoff(row.Attempts);
                    continue;
                }

                logs[row.Id].Info(result.Note ?? action switch
                {
                    ProcessedMailAction.MoveToFolder => $"Moved to the '{mailbox.ProcessedFolderName}' folder.",
                    ProcessedMailAction.Delete => "Deleted from the mailbox.",
                    _ => "Marked as read.",
                });
                row.GraphMessageId = result.NewMessageId ?? row.GraphMessageId;
                row.Stage = InboundStage.Done;
                row.PendingSideEffect = null;
                row.NextAttemptAt = null;
                if (row.Status == InboundStatus.Processing)
                {
                    row.Status = InboundStatus.Processed;
                }

                row.UpdatedAt = time.GetUtcNow();
            }

            await db.SaveChangesAsync(cancellationToken);
        }
    }

    private async Task FinishAsync(long emailId, InboundStatus status, string reason, string? code, ProcessingLog log, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<InboundEmail>().SingleAsync(e => e.Id == emailId, cancellationToken);
        row.Status = status;
        row.Stage = InboundStage.Done;
        row.Reason = reason;
        row.ErrorCode = code;
        row.NextAttemptAt = null;
        row.UpdatedAt = time.GetUtcNow();
        (status == InboundStatus.Failed ? (Action<string>)log.Error : log.Info)(reason);
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task FailOrRetryAsync(long emailId, KnownError error, ProcessingLog log, CancellationToken cancellationToken, TimeSpan? retryAfter = null)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<InboundEmail>().SingleAsync(e => e.Id == emailId, cancellationToken);
        row.Attempts++;
        row.UpdatedAt = time.GetUtcNow();
        if (error.Kind == ErrorKind.Transient && row.Attempts < options.Value.MaxAttempts)
        {
            row.NextAttemptAt = time.GetUtcNow() + (retryAfter ?? Backoff(row.Attempts));
            row.ErrorCode = error.Code;
            row.Reason = $"{error.Message} Retrying at {row.NextAttemptAt:HH:mm:ss} UTC (attempt {row.Attempts + 1}).";
            log.Warn(row.Reason);
        }
        else
        {
            row.Status = InboundStatus.Failed;
            row.ErrorCode = error.Code;
            row.NextAttemptAt = null;
            row.Reason = $"{error.Title}: {error.Message} How to fix: {error.Fix}";
            log.Error(row.Reason);
            logger.LogWarning("Inbound email {EmailId} failed: {Code}", emailId, error.Code);
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task ScheduleRetryAsync(long emailId, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<InboundEmail>().SingleAsync(e => e.Id == emailId, cancellationToken);
        row.Attempts++;
        row.NextAttemptAt = time.GetUtcNow() + (retryAfter ?? Backoff(row.Attempts));
        await db.SaveChangesAsync(cancellationToken);
    }

    internal static TimeSpan Backoff(int attempts) => TimeSpan.FromSeconds(Math.Min(15 * Math.Pow(2, Math.Max(0, attempts - 1)), 1800));

    private static string SideEffectName(ProcessedMailAction action) => action.ToString();

    private static TicketMessage BounceMessage(InboundEmail email, ParsedEmail parsed, DateTimeOffset now) => new()
    {
        InboundEmailId = email.Id,
        Direction = MessageDirection.Inbound,
        From = parsed.From?.Address ?? "mailer-daemon",
        FromName = parsed.From?.Name,
        Subject = parsed.Subject,
        SentAt = parsed.Date ?? now,
        BodyText = parsed.TextBody,
        BodyHtml = parsed.HtmlBody,
        InternetMessageId = parsed.MessageId,
        CreatedAt = now,
    };
}

/// <summary>Counts of a processed batch.</summary>
internal sealed class BatchOutcome
{
    public int Created { get; private set; }

    public int Updated { get; private set; }

    public int Ignored { get; private set; }

    public int Failed { get; private set; }

    public int Pending { get; private set; }

    public void Count(InboundEmail email)
    {
        switch (email.Status)
        {
            case InboundStatus.Ignored:
                Ignored++;
                break;
            case InboundStatus.Failed:
                Failed++;
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
    }
}
