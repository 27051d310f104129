using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Parsing;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Rules;
using HaloPortal.Engine.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Ingestion;

/// <summary>Stage 2: parse, classify, apply the rules and write the ticket (Fetched → Decided).</summary>
internal sealed partial class InboundProcessor
{
    // One writer decides tickets at a time: ticket numbers and threading stay consistent on every provider.
    private static readonly SemaphoreSlim DecideGate = new(1, 1);

    private sealed record DecisionContext(IReadOnlyList<EmailRule> Rules, ClassificationContext Classification, bool OneTicketAcrossMailboxes);

    private async Task<DecisionContext> LoadDecisionContextAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rules = await db.Set<EmailRule>().AsNoTracking().Where(r => r.Enabled).ToListAsync(cancellationToken);
        var connected = await db.Set<MailboxCredential>().AsNoTracking()
            .Select(c => new { c.EmailAddress, c.SharedMailbox, c.ConnectedAddress })
            .ToListAsync(cancellationToken);
        var addresses = connected.SelectMany(c => new[] { c.EmailAddress, c.SharedMailbox, c.ConnectedAddress })
            .Where(a => !string.IsNullOrWhiteSpace(a)).Select(a => a!.ToLowerInvariant()).ToHashSet();
        var settings = await IngestionSettingsStore.ReadAsync(db, cancellationToken);
        return new DecisionContext(rules, new ClassificationContext(deployment.DeploymentId, addresses), settings.OneTicketAcrossMailboxes);
    }

    /// <summary>
    /// Decides a run of emails in arrival order in one transaction (one email at a time when the run fails as a whole), and
    /// returns the emails whose mailbox side effect is now due.
    /// </summary>
    private async Task<List<SideEffectWork>> DecideRunAsync(Mailbox mailbox, IReadOnlyList<WorkItem> items, Dictionary<long, ProcessingLog> logs, DecisionContext context, CancellationToken cancellationToken)
    {
        var due = new List<SideEffectWork>();
        var decidedNow = new List<long>();
        var opened = false;
        await DecideGate.WaitAsync(cancellationToken);
        try
        {
            var together = items.Count > 1;
            if (together)
            {
                var marks = items.ToDictionary(i => i.EmailId, i => logs[i.EmailId].Mark());
                try
                {
                    opened = await DecideTogetherAsync(mailbox, items, logs, context, due, decidedNow, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogDebug(ex, "Deciding {Count} emails together failed; deciding them one at a time", items.Count);
                    foreach (var item in items)
                    {
                        logs[item.EmailId].Reset(marks[item.EmailId]);
                    }

                    due.Clear();
                    decidedNow.Clear();
                    together = false;
                }
            }

            if (!together)
            {
                foreach (var item in items)
                {
                    var mark = logs[item.EmailId].Mark();
                    try
                    {
                        opened |= await DecideTogetherAsync(mailbox, [item], logs, context, due, decidedNow, cancellationToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // One email that cannot be decided never holds back the others: it is retried later, then failed with the reason.
                        logs[item.EmailId].Reset(mark);
                        await DecideFailedAsync(item.EmailId, ex, logs[item.EmailId], cancellationToken);
                    }
                }
            }
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

        foreach (var id in decidedNow)
        {
            await probe.AfterStageAsync("decided", id);
        }

        return due;
    }

    private async Task DecideFailedAsync(long emailId, Exception exception, ProcessingLog log, CancellationToken cancellationToken)
    {
        logger.LogError(exception, "Inbound email {EmailId} could not be decided", emailId);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<InboundEmail>().SingleOrDefaultAsync(e => e.Id == emailId, cancellationToken);
        if (row is null)
        {
            return;
        }

        var error = new Errors.KnownError(
            "DecisionFailed",
            "The email could not be turned into a ticket",
            $"Processing stopped with an unexpected error ({exception.GetType().Name}: {exception.Message}).",
            "Download the raw message from the inbound log to check it, then replay the email; if it fails again, report the error shown here.",
            Errors.ErrorKind.Transient);
        FailOrRetry(row, error, log);
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task<bool> DecideTogetherAsync(
        Mailbox mailbox, IReadOnlyList<WorkItem> items, Dictionary<long, ProcessingLog> logs, DecisionContext context,
        List<SideEffectWork> due, List<long> decidedNow, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var ids = items.Select(i => i.EmailId).ToList();
        var rows = await db.Set<InboundEmail>().AsNoTracking().Where(e => ids.Contains(e.Id)).ToDictionaryAsync(e => e.Id, cancellationToken);
        var opened = false;
        var now = time.GetUtcNow();
        var decided = new List<long>();
        foreach (var item in items)
        {
            if (rows.TryGetValue(item.EmailId, out var email) && email.Stage == InboundStage.Fetched)
            {
                db.Attach(email);
                opened |= await DecideOneAsync(db, mailbox, email, logs[item.EmailId], context, now, cancellationToken);
                decided.Add(email.Id);

                // The tickets, messages and requesters of an email are saved by then; the change tracker forgets them so the
                // work per email stays the same however long the run is (the emails' own rows are saved together at the end).
                db.ForgetSavedExcept<InboundEmail>();
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        decidedNow.AddRange(decided);
        TicketsCommitted(mailbox, rows.Values.Where(e => decided.Contains(e.Id)), logs);
        foreach (var item in items)
        {
            if (rows.TryGetValue(item.EmailId, out var email) && email.Stage == InboundStage.Decided && email.GraphMessageId is not null)
            {
                due.Add(new SideEffectWork(email.Id, email.GraphMessageId, email.PendingSideEffect));
            }
        }

        return opened;
    }

    /// <summary>
    /// The delivery-to-ticket latency of emails whose ticket (new or updated) was just committed. Delivery is Graph's receivedDateTime
    /// when the email was found by a scan; a webhook names no time and its message is not read again just for this, so there the
    /// notification's arrival stands in (tagged <c>delivery.time=first_seen</c>).
    /// </summary>
    private void TicketsCommitted(Mailbox mailbox, IEnumerable<InboundEmail> emails, Dictionary<long, ProcessingLog> logs)
    {
        var now = time.GetUtcNow();
        foreach (var email in emails)
        {
            if (email.TicketId is not { } ticketId || email.Status == InboundStatus.Ignored)
            {
                continue;
            }

            var delivered = email.ReceivedAt ?? email.CreatedAt;
            telemetry.TicketCommitted(mailbox.Id, now - delivered, email.ReceivedAt is null ? "first_seen" : "received");
            logs[email.Id].Trace?.AddEvent(new System.Diagnostics.ActivityEvent("ticket committed",
                tags: new System.Diagnostics.ActivityTagsCollection { ["ticket.id"] = ticketId }));
        }
    }

    /// <summary>Decides one email inside the caller's transaction; true when it opened a ticket.</summary>
    private async Task<bool> DecideOneAsync(PortalDbContext db, Mailbox mailbox, InboundEmail email, ProcessingLog log, DecisionContext context, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var span = telemetry.StartStage(log.Trace, "email.decide");
        await probe.BeforeDecideAsync(email.Id);

        var opened = false;
        email.UpdatedAt = now;
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
            return false;
        }

        log.Info($"Parsed: from {parsed.From?.Address ?? "(none)"}, subject \"{parsed.Subject}\", {Plural.Of(parsed.Attachments.Count, "attachment")}.");
        email.Subject ??= parsed.Subject;
        email.From ??= parsed.From?.Address;
        email.InternetMessageId ??= parsed.MessageId;
        if (parsed.Encryption is { } scheme)
        {
            // Nothing of it can be read without the recipient's private key: no ticket with an empty body; the raw message is kept.
            email.Status = InboundStatus.Failed;
            email.Stage = InboundStage.Done;
            email.ErrorCode = "Encrypted";
            email.Reason = $"The message is encrypted ({scheme}) and cannot be read without the recipient's private key, so no ticket was made. It was left in the mailbox and the raw message is kept: download it from the inbound log, or ask the sender to send it unencrypted.";
            log.Error(email.Reason);
            return false;
        }

        var verdict = MailClassifier.Classify(parsed, context.Classification);
        var rule = verdict.Kind == MailKind.Normal ? RuleEvaluator.FirstMatch(context.Rules, mailbox.Id, parsed) : null;
        email.PendingSideEffect = mailbox.ProcessedAction.ToString();

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
                email.PendingSideEffect = nameof(ProcessedMailAction.Delete);
            }

            log.Info(email.Reason);
        }
        else if (context.OneTicketAcrossMailboxes && MessageIdKey.Of(parsed.MessageId) is { } messageKey
                 && await CrossMailboxCopies.IsCopyAsync(db, mailbox, email, messageKey, now, cancellationToken))
        {
            // The same email reached another connected mailbox first (To: one, Cc: the other): one ticket, from there.
            log.Info(email.Reason!);
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

        return opened;
    }

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
