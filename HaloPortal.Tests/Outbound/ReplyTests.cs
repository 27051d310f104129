using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Parsing;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tickets;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace HaloPortal.Tests.Outbound;

/// <summary>Replies from tickets go out through Graph sendMail (base64 MIME) from the ticket's mailbox, and come back threaded.</summary>
public sealed class ReplyTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private readonly OutboundKit _kit = new(app);

    private async Task<(Ticket Ticket, string FirstMessageId, string Requester)> OpenTicketAsync(string subject)
    {
        var requester = await _kit.CreateRequesterAsync("rita", "Rita Requester");
        var first = SandboxMail.NewMessageId("contoso.sandbox");
        await _kit.Mail.DeliverAsync(SandboxMail.Mime($"Rita Requester <{requester}>", _kit.Mail.Demo.SharedMailbox, subject, "The projector shows no picture.", first));
        await _kit.Mail.ImportAsync();
        var ticketId = (await _kit.EmailAsync(first)).TicketId!.Value;
        var ticket = await _kit.QueryAsync(db => db.Set<Ticket>().AsNoTracking().SingleAsync(t => t.Id == ticketId));
        return (ticket, first, requester);
    }

    [Fact]
    public async Task A_reply_reaches_the_requester_with_the_ticket_tag_threading_headers_and_the_portal_message_id()
    {
        var (ticket, first, requester) = await OpenTicketAsync("Projector in room 4");

        var queued = await _kit.Get<IReplies>().SendAsync(ticket.Id, new ReplyAuthor(Actor.User("agent@contoso.sandbox"), "Agent Smith"),
            ReplyFormatting.ToHtml("Have you tried **another cable**?"), [new ReplyAttachment("steps.txt", "text/plain", "1. Unplug\n2. Plug"u8.ToArray())]);

        Assert.Equal(OutboundStatus.Queued, queued.Status);
        var thread = await _kit.QueryAsync(db => db.Set<TicketMessage>().AsNoTracking().Where(m => m.TicketId == ticket.Id).OrderBy(m => m.Id).ToListAsync());
        var entry = thread[^1];
        Assert.Equal(MessageDirection.Outbound, entry.Direction);
        Assert.Equal(queued.TicketMessageId, entry.Id);

        var sent = await _kit.WaitSentAsync(queued.Id);
        Assert.Equal(_kit.Mail.Demo.SharedMailbox, sent.SentFrom);
        var (mime, _) = await _kit.ReceivedAsync(requester, sent.InternetMessageId);
        Assert.Equal($"RE: {TicketSubject.Tag(ticket.Number)} Projector in room 4", mime.Subject);
        Assert.Equal(first, mime.InReplyTo);
        Assert.Contains(first, mime.References);
        Assert.Equal(sent.InternetMessageId, mime.MessageId);
        var deploymentId = _kit.Get<IDeployment>().DeploymentId;
        Assert.True(PortalMessageId.TryGetDeploymentId(mime.MessageId, out var carried));
        Assert.Equal(deploymentId, carried);
        Assert.Equal(deploymentId, mime.Headers[MailClassifier.DeploymentHeader]);
        Assert.Equal(requester, Assert.Single(mime.To.Mailboxes).Address, ignoreCase: true);
        Assert.Equal(_kit.Mail.Demo.SharedMailbox, Assert.Single(mime.From.Mailboxes).Address, ignoreCase: true);
        Assert.Contains("<b>another cable</b>", mime.HtmlBody);
        // Typed by a person: not marked as automatic mail (RFC 3834), so the requester's own auto-replies may answer it.
        Assert.False(mime.Headers.Contains("Auto-Submitted"));
        Assert.False(mime.Headers.Contains("X-Auto-Response-Suppress"));
        Assert.Equal("steps.txt", Assert.Single(mime.Attachments.OfType<MimePart>()).FileName);
        Assert.Equal(_kit.Mail.Demo.SharedMailbox, (await _kit.QueryAsync(db => db.Set<TicketMessage>().AsNoTracking().SingleAsync(m => m.Id == entry.Id))).From);
    }

    [Fact]
    public async Task The_requesters_answer_to_a_reply_threads_into_the_same_ticket()
    {
        var (ticket, _, requester) = await OpenTicketAsync("Keyboard missing keys");
        var queued = await _kit.Get<IReplies>().SendAsync(ticket.Id, new ReplyAuthor(Actor.System, "Agent"), "<p>Which keys?</p>", []);
        var sent = await _kit.WaitSentAsync(queued.Id);
        var (reply, _) = await _kit.ReceivedAsync(requester, sent.InternetMessageId);

        var answer = SandboxMail.NewMessageId("contoso.sandbox");
        // A subject without the tag: threading must come from In-Reply-To alone.
        await _kit.Mail.DeliverAsync(SandboxMail.Mime(requester, _kit.Mail.Demo.SharedMailbox, "Re: keys", "Q and W.", answer, inReplyTo: reply.MessageId));
        await _kit.Mail.ImportAsync();

        var email = await _kit.EmailAsync(answer);
        Assert.Equal(InboundStatus.Processed, email.Status);
        Assert.Equal(ticket.Id, email.TicketId);
    }

    [Fact]
    public async Task The_portals_own_reply_landing_in_the_connected_mailbox_opens_no_ticket()
    {
        var (ticket, _, requester) = await OpenTicketAsync("Mouse double-clicks");
        var queued = await _kit.Get<IReplies>().SendAsync(ticket.Id, new ReplyAuthor(Actor.System, "Agent"), "<p>Replacing it.</p>", []);
        var sent = await _kit.WaitSentAsync(queued.Id);
        var (_, raw) = await _kit.ReceivedAsync(requester, sent.InternetMessageId);
        var tickets = await _kit.QueryAsync(db => db.Set<Ticket>().CountAsync());

        await _kit.Mail.Control.DeliverMimeAsync(_kit.Mail.Demo.SharedMailbox, new MemoryStream(raw));
        await _kit.Mail.ImportAsync();

        var copy = await _kit.EmailAsync(sent.InternetMessageId);
        Assert.Equal(InboundStatus.Ignored, copy.Status);
        Assert.Null(copy.TicketId);
        Assert.Contains("this HaloPortal deployment", copy.Reason);
        Assert.Equal(tickets, await _kit.QueryAsync(db => db.Set<Ticket>().CountAsync()));
    }

    [Fact]
    public async Task A_reply_that_cannot_be_sent_fails_visibly_and_is_sent_after_retry_now()
    {
        var (ticket, _, requester) = await OpenTicketAsync("Monitor flickers");
        // The ticket's mailbox cannot send (not connected) and there is no default outgoing mailbox.
        await _kit.QueryAsync(db => db.Set<Engine.Credentials.MailboxCredential>().Where(c => c.MailboxId == SandboxMail.DemoMailboxId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, Engine.Credentials.CredentialStatus.NotConnected)));
        try
        {
            var queued = await _kit.Get<IReplies>().SendAsync(ticket.Id, new ReplyAuthor(Actor.System, "Agent"), "<p>New cable on its way.</p>", []);
            var failed = await _kit.WaitSentAsync(queued.Id, OutboundStatus.Failed);
            Assert.Equal("NoSendingMailbox", failed.LastErrorCode);
            Assert.Contains("General Settings", failed.LastError);
            Assert.Equal(failed.Id, (await _kit.Get<IReplies>().ForTicketAsync(ticket.Id))[failed.TicketMessageId!.Value].Id);

            await _kit.QueryAsync(db => db.Set<Engine.Credentials.MailboxCredential>().Where(c => c.MailboxId == SandboxMail.DemoMailboxId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, Engine.Credentials.CredentialStatus.Connected)));
            await _kit.Get<IReplies>().RetryAsync(queued.Id, Actor.System);

            var sent = await _kit.WaitSentAsync(queued.Id);
            await _kit.ReceivedAsync(requester, sent.InternetMessageId);
        }
        finally
        {
            await _kit.QueryAsync(db => db.Set<Engine.Credentials.MailboxCredential>().Where(c => c.MailboxId == SandboxMail.DemoMailboxId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, Engine.Credentials.CredentialStatus.Connected)));
        }
    }

    [Fact]
    public async Task The_api_queues_a_reply_with_202_and_api_keys_have_no_notification_inbox()
    {
        var (ticket, _, requester) = await OpenTicketAsync("API reply");
        using var client = app.CreateApiClient();

        var response = await client.PostAsJsonAsync($"/api/v1/tickets/{ticket.Id}/replies", new
        {
            bodyHtml = "<p>Sent by the API.</p>",
            attachments = new[] { new { name = "a.txt", contentType = "text/plain", contentBase64 = Convert.ToBase64String("hello"u8.ToArray()) } },
        });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Queued", body.GetProperty("status").GetString());
        var sent = await _kit.WaitSentAsync(body.GetProperty("id").GetInt64());
        await _kit.ReceivedAsync(requester, sent.InternetMessageId);

        var empty = await client.PostAsJsonAsync($"/api/v1/tickets/{ticket.Id}/replies", new { bodyHtml = "<p> </p>" });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/api/v1/tickets/999999/replies", new { bodyHtml = "<p>x</p>" })).StatusCode);

        var notifications = await client.GetAsync("/api/v1/notifications");
        Assert.Equal(HttpStatusCode.Forbidden, notifications.StatusCode);
        Assert.Contains("API keys have no notification inbox", await notifications.Content.ReadAsStringAsync());
    }
}
