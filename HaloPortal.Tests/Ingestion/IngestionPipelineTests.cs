using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Parsing;
using HaloPortal.Engine.Rules;
using HaloPortal.Sandbox;
using HaloPortal.Engine.Tickets;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Ingestion;

/// <summary>Mail delivered into the sandbox becomes tickets through the real pipeline (MSAL, Graph SDK, delta, $value, $batch moves).</summary>
public sealed class IngestionPipelineTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private readonly SandboxMail _mail = new(app);

    private async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        var contexts = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await query(db);
    }

    private Task<InboundEmail> EmailAsync(string messageId) =>
        QueryAsync(db => db.Set<InboundEmail>().AsNoTracking().SingleAsync(e => e.InternetMessageId == messageId));

    /// <summary>Moves an email's planned next attempt into the past, as the clock would.</summary>
    private Task MakeDueAsync(long emailId) =>
        QueryAsync(db => db.Set<InboundEmail>().Where(e => e.Id == emailId)
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.NextAttemptAt, DateTimeOffset.UtcNow.AddSeconds(-1))));

    [Fact]
    public async Task New_mail_becomes_a_ticket_and_moves_to_the_Processed_folder()
    {
        var id = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("Dana Reyes <dana@customer.example>", _mail.Demo.SharedMailbox, "Printer on floor 2 is jammed", "It jams on every page.", id));

        var report = await _mail.ImportAsync();

        Assert.Null(report.Error);
        var email = await EmailAsync(id);
        Assert.Equal(InboundStatus.Processed, email.Status);
        Assert.Equal(InboundStage.Done, email.Stage);
        var ticket = await QueryAsync(db => db.Set<Ticket>().Include(t => t.Requester).Include(t => t.Messages).SingleAsync(t => t.Id == email.TicketId));
        Assert.Equal("Printer on floor 2 is jammed", ticket.Subject);
        Assert.Equal("dana@customer.example", ticket.Requester!.Email);
        Assert.Contains("It jams on every page.", Assert.Single(ticket.Messages).BodyText);
        var inbox = await _mail.Control.ListMessagesAsync(_mail.Demo.SharedMailbox, "inbox");
        Assert.DoesNotContain(inbox, m => m.InternetMessageId?.Contains(id) == true);
        var requests = await QueryAsync(db => db.Set<InboundRequest>().Where(r => r.InboundEmailId == email.Id).ToListAsync());
        var request = Assert.Single(requests);
        Assert.Equal(RequestOutcome.Succeeded, request.Outcome);
        Assert.Contains(request.Log, l => l.Message.Contains("Opened ticket"));
        Assert.Contains(request.Log, l => l.Message.Contains("Moved to the 'Processed' folder"));
    }

    [Fact]
    public async Task A_reply_threads_into_the_same_ticket_and_scanning_again_or_replaying_adds_nothing()
    {
        var first = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("sam@customer.example", _mail.Demo.SharedMailbox, "VPN drops every hour", "Since Monday.", first));
        await _mail.ImportAsync();
        var reply = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("sam@customer.example", _mail.Demo.SharedMailbox, "RE: VPN drops every hour", "Still happening.", reply, inReplyTo: first));

        await _mail.ImportAsync();
        await _mail.ImportAsync();
        var replyEmail = await EmailAsync(reply);
        var requestId = await QueryAsync(db => db.Set<InboundRequest>().Where(r => r.InboundEmailId == replyEmail.Id).Select(r => r.Id).FirstAsync());
        await app.Services.GetRequiredService<IInboundReplays>().RunReplayAsync(await app.Services.GetRequiredService<IInboundReplays>().ReplayAsync(requestId, HaloPortal.Engine.Audit.Actor.System));

        var firstEmail = await EmailAsync(first);
        Assert.Equal(firstEmail.TicketId, (await EmailAsync(reply)).TicketId);
        var messages = await QueryAsync(db => db.Set<TicketMessage>().CountAsync(m => m.TicketId == firstEmail.TicketId));
        Assert.Equal(2, messages);
        var replays = await QueryAsync(db => db.Set<InboundRequest>().Where(r => r.InboundEmailId == replyEmail.Id && r.Kind == RequestKind.Replay).ToListAsync());
        Assert.Contains(Assert.Single(replays).Log, l => l.Message.Contains("Already processed"));
    }

    [Fact]
    public async Task The_ticket_number_in_a_strangers_subject_does_not_inject_into_that_ticket()
    {
        var original = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("owner@customer.example", _mail.Demo.SharedMailbox, "Payroll export fails", "Error 500.", original));
        await _mail.ImportAsync();
        var number = await QueryAsync(async db => (await db.Set<Ticket>().SingleAsync(t => t.Id == db.Set<InboundEmail>().Single(e => e.InternetMessageId == original).TicketId)).Number);

        var stranger = SandboxMail.NewMessageId("elsewhere.example");
        await _mail.DeliverAsync(SandboxMail.Mime("mallory@elsewhere.example", _mail.Demo.SharedMailbox, $"RE: {TicketSubject.Tag(number)} Payroll export fails", "Click this link", stranger));
        var known = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("owner@customer.example", _mail.Demo.SharedMailbox, $"RE: {TicketSubject.Tag(number)} Payroll export fails", "Any news?", known));
        await _mail.ImportAsync();

        var originalTicket = (await EmailAsync(original)).TicketId;
        Assert.NotEqual(originalTicket, (await EmailAsync(stranger)).TicketId);
        Assert.Equal(originalTicket, (await EmailAsync(known)).TicketId);
    }

    [Fact]
    public async Task A_reply_to_a_closed_ticket_opens_a_new_ticket_linked_to_it()
    {
        var first = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("lee@customer.example", _mail.Demo.SharedMailbox, "New starter laptop", "For Monday.", first));
        await _mail.ImportAsync();
        var closedId = (await EmailAsync(first)).TicketId!.Value;
        await QueryAsync(db => db.Set<Ticket>().Where(t => t.Id == closedId).ExecuteUpdateAsync(s => s.SetProperty(t => t.Status, TicketStatus.Closed)));

        var reply = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("lee@customer.example", _mail.Demo.SharedMailbox, "RE: New starter laptop", "It broke already.", reply, inReplyTo: first));
        await _mail.ImportAsync();

        var newTicket = await QueryAsync(async db => await db.Set<Ticket>().SingleAsync(t => t.Id == db.Set<InboundEmail>().Single(e => e.InternetMessageId == reply).TicketId));
        Assert.NotEqual(closedId, newTicket.Id);
        Assert.Equal(closedId, newTicket.LinkedTicketId);
    }

    [Fact]
    public async Task An_auto_reply_is_ignored_with_its_reason_and_opens_no_ticket()
    {
        var id = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("away@customer.example", _mail.Demo.SharedMailbox, "Automatic reply: Your request", "I am out of office.", id,
            extraHeaders: "Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All"));

        await _mail.ImportAsync();

        var email = await EmailAsync(id);
        Assert.Equal(InboundStatus.Ignored, email.Status);
        Assert.Null(email.TicketId);
        Assert.Contains("Auto", email.Reason);
    }

    [Fact]
    public async Task An_email_rule_ignores_matching_mail_and_the_log_names_it()
    {
        var rules = app.Services.GetRequiredService<IEmailRules>();
        await rules.CreateAsync(new EmailRuleInput("Drop newsletters", true, null, [new RuleCondition(RuleField.SenderDomain, "news.example")], RuleAction.Ignore, null, null),
            HaloPortal.Engine.Audit.Actor.System);
        var id = SandboxMail.NewMessageId("news.example");
        await _mail.DeliverAsync(SandboxMail.Mime("digest@news.example", _mail.Demo.SharedMailbox, "Weekly digest", "Offers!", id));

        await _mail.ImportAsync();

        var email = await EmailAsync(id);
        Assert.Equal(InboundStatus.Ignored, email.Status);
        Assert.Equal("Drop newsletters", email.Rule);
    }

    [Fact]
    public async Task Throttling_and_server_errors_from_graph_are_retried_and_nothing_is_lost()
    {
        var ids = Enumerable.Range(0, 6).Select(_ => SandboxMail.NewMessageId()).ToList();
        foreach (var id in ids)
        {
            await _mail.DeliverAsync(SandboxMail.Mime("busy@customer.example", _mail.Demo.SharedMailbox, $"Throttled {id[..6]}", "body", id));
        }

        await _mail.Control.AddFaultAsync(new SandboxFaultRequest(_mail.Demo.SharedMailbox, SandboxFaultKind.Throttle, Count: 3, RetryAfterSeconds: 1));
        await _mail.Control.AddFaultAsync(new SandboxFaultRequest(_mail.Demo.SharedMailbox, SandboxFaultKind.FailRequests, Status: 503, Count: 2));
        try
        {
            var report = await _mail.ImportAsync();
            if (report.Pending > 0)
            {
                report = await _mail.ImportAsync();
            }
        }
        finally
        {
            await _mail.Control.ClearFaultsAsync();
        }

        foreach (var id in ids)
        {
            Assert.Equal(InboundStatus.Processed, (await EmailAsync(id)).Status);
        }
    }

    [Fact]
    public async Task A_backlog_with_replies_behind_their_originals_threads_every_reply_when_imported_at_once()
    {
        // Replies land in the same decision run as their original, or in a later run, or on a later page of the pipeline.
        var originals = Enumerable.Range(0, 40).Select(_ => SandboxMail.NewMessageId()).ToList();
        var replies = originals.ToDictionary(o => o, _ => SandboxMail.NewMessageId());
        for (var i = 0; i < originals.Count; i++)
        {
            await _mail.DeliverAsync(SandboxMail.Mime($"batch{i}@customer.example", _mail.Demo.SharedMailbox, $"Backlog case {i}", "First report.", originals[i]));
            if (i % 2 == 0)
            {
                await _mail.DeliverAsync(SandboxMail.Mime($"batch{i}@customer.example", _mail.Demo.SharedMailbox, $"RE: Backlog case {i}", "More detail.", replies[originals[i]], inReplyTo: originals[i]));
            }
        }

        for (var i = 1; i < originals.Count; i += 2)
        {
            await _mail.DeliverAsync(SandboxMail.Mime($"batch{i}@customer.example", _mail.Demo.SharedMailbox, $"RE: Backlog case {i}", "More detail.", replies[originals[i]], inReplyTo: originals[i]));
        }

        var report = await _mail.ImportAsync();

        Assert.Null(report.Error);
        Assert.Equal(40, report.Created);
        Assert.Equal(40, report.Updated);
        foreach (var original in originals)
        {
            var first = await EmailAsync(original);
            var reply = await EmailAsync(replies[original]);
            Assert.Equal(InboundStatus.Processed, first.Status);
            Assert.Equal(InboundStatus.Processed, reply.Status);
            Assert.Equal(first.TicketId, reply.TicketId);
            Assert.Equal(2, await QueryAsync(db => db.Set<TicketMessage>().CountAsync(m => m.TicketId == first.TicketId)));
        }

        var numbers = await QueryAsync(db => db.Set<Ticket>().Where(t => t.Subject.StartsWith("Backlog case ")).Select(t => t.Number).ToListAsync());
        Assert.Equal(40, numbers.Distinct().Count());
        var inbox = await _mail.Control.ListMessagesAsync(_mail.Demo.SharedMailbox, "inbox");
        Assert.DoesNotContain(inbox, m => originals.Concat(replies.Values).Any(id => m.InternetMessageId?.Contains(id) == true));
    }

    [Fact]
    public async Task An_email_that_cannot_be_decided_holds_back_no_other_and_is_retried_with_its_reason()
    {
        var ids = Enumerable.Range(0, 5).Select(_ => SandboxMail.NewMessageId()).ToList();
        foreach (var id in ids)
        {
            await _mail.DeliverAsync(SandboxMail.Mime("poison@customer.example", _mail.Demo.SharedMailbox, $"Run member {id[..6]}", "body", id));
        }

        var poison = ids[1];
        var probe = app.Probe;
        probe.BeforeDecide = async emailId =>
        {
            if (await QueryAsync(db => db.Set<InboundEmail>().AnyAsync(e => e.Id == emailId && e.InternetMessageId == poison)))
            {
                throw new InvalidOperationException("Simulated defect while deciding.");
            }
        };
        try
        {
            await _mail.ImportAsync();
        }
        finally
        {
            probe.BeforeDecide = null;
        }

        foreach (var id in ids.Where(i => i != poison))
        {
            Assert.Equal(InboundStatus.Processed, (await EmailAsync(id)).Status);
        }

        var stuck = await EmailAsync(poison);
        Assert.Equal(InboundStage.Fetched, stuck.Stage);
        Assert.Equal("DecisionFailed", stuck.ErrorCode);
        Assert.NotNull(stuck.NextAttemptAt);
        Assert.Contains("Simulated defect while deciding.", stuck.Reason);

        // Waiting for its next attempt, the email is not failed: replay refuses it, and the next scan once it is due retries it.
        var replays = app.Services.GetRequiredService<IInboundReplays>();
        var requestId = await QueryAsync(db => db.Set<InboundRequest>().Where(r => r.InboundEmailId == stuck.Id).Select(r => r.Id).FirstAsync());
        await Assert.ThrowsAsync<ReplayRefusedException>(() => replays.ReplayAsync(requestId, HaloPortal.Engine.Audit.Actor.System));
        await MakeDueAsync(stuck.Id);
        await _mail.ImportAsync();
        var replayed = await EmailAsync(poison);
        Assert.Equal(InboundStatus.Processed, replayed.Status);
        Assert.Equal(2, replayed.Attempts);
        Assert.Equal(1, await QueryAsync(db => db.Set<TicketMessage>().CountAsync(m => m.InternetMessageId == poison)));
    }

    [Fact]
    public async Task A_large_email_among_small_ones_is_committed_on_its_own_and_keeps_its_attachment()
    {
        // Over a megabyte, a raw message is committed as soon as it is fetched instead of waiting in memory for its run.
        var small = Enumerable.Range(0, 6).Select(_ => SandboxMail.NewMessageId()).ToList();
        var large = SandboxMail.NewMessageId();
        var attachment = new byte[2_500_000];
        Random.Shared.NextBytes(attachment);
        for (var i = 0; i < small.Count; i++)
        {
            await _mail.DeliverAsync(SandboxMail.Mime("mixed@customer.example", _mail.Demo.SharedMailbox, $"Small {i}", "body", small[i]));
            if (i == 2)
            {
                var message = new MimeKit.MimeMessage();
                message.From.Add(MimeKit.MailboxAddress.Parse("mixed@customer.example"));
                message.To.Add(MimeKit.MailboxAddress.Parse(_mail.Demo.SharedMailbox));
                message.Subject = "Logs attached";
                message.MessageId = large;
                var body = new MimeKit.BodyBuilder { TextBody = "The log file is attached." };
                body.Attachments.Add("trace.bin", attachment, new MimeKit.ContentType("application", "octet-stream"));
                message.Body = body.ToMessageBody();
                using var raw = new MemoryStream();
                await message.WriteToAsync(raw);
                await _mail.Control.DeliverMimeAsync(_mail.Demo.SharedMailbox, new MemoryStream(raw.ToArray()));
            }
        }

        await _mail.ImportAsync();

        foreach (var id in small.Append(large))
        {
            Assert.Equal(InboundStatus.Processed, (await EmailAsync(id)).Status);
        }

        var email = await EmailAsync(large);
        Assert.True(email.SizeBytes > 3_000_000);
        var stored = await QueryAsync(db => (from a in db.Set<TicketAttachment>()
                                             join m in db.Set<TicketMessage>() on a.TicketMessageId equals m.Id
                                             where m.TicketId == email.TicketId && a.Name == "trace.bin"
                                             select a.Content).SingleAsync());
        Assert.Equal(attachment, stored);
    }

    [Fact]
    public async Task The_import_report_lists_each_failed_email_with_its_reason()
    {
        var mailboxes = app.Services.GetRequiredService<HaloPortal.Engine.Mailboxes.IMailboxes>();
        var incoming = (await mailboxes.GetAsync(SandboxMail.DemoMailboxId))!.Incoming;
        await mailboxes.UpdateIncomingAsync(SandboxMail.DemoMailboxId, incoming with { MaxEmailSizeMb = 1 }, HaloPortal.Engine.Audit.Actor.System);
        ScanReport report;
        var big = SandboxMail.NewMessageId();
        var fine = SandboxMail.NewMessageId();
        try
        {
            await _mail.DeliverAsync(SandboxMail.Mime("reporter@customer.example", _mail.Demo.SharedMailbox, "Scanned invoice", new string('x', 1_300_000), big));
            await _mail.DeliverAsync(SandboxMail.Mime("reporter@customer.example", _mail.Demo.SharedMailbox, "Small question", "body", fine));
            report = await _mail.ImportAsync();
        }
        finally
        {
            await mailboxes.UpdateIncomingAsync(SandboxMail.DemoMailboxId, incoming, HaloPortal.Engine.Audit.Actor.System);
        }

        Assert.Equal(1, report.Failed);
        var failure = Assert.Single(report.Failures);
        Assert.Equal((await EmailAsync(big)).Id, failure.EmailId);
        Assert.Equal("Scanned invoice", failure.Subject);
        Assert.Equal("reporter@customer.example", failure.From);
        Assert.Contains("over this mailbox's 1 MB limit", failure.Reason);
        Assert.Equal(InboundStatus.Processed, (await EmailAsync(fine)).Status);
    }
}
