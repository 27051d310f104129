using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Outbound;
using HaloPortal.Sandbox;
using HaloPortal.Engine.Tickets;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Tests.Outbound;

/// <summary>
/// Issue 14 item 3: no reply leaves from a mailbox the agent did not choose. The sender is planned (and shown) before sending, a
/// fallback to the default outgoing mailbox must be agreed to, and a reply goes only from the mailbox agreed to.
/// </summary>
public sealed class ReplySenderTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private readonly OutboundKit _kit = new(app);

    private async Task<(Ticket Ticket, string Requester)> OpenTicketAsync(string subject)
    {
        var requester = await _kit.CreateRequesterAsync("rory", "Rory Requester");
        var first = SandboxMail.NewMessageId("contoso.sandbox");
        await _kit.Mail.DeliverAsync(SandboxMail.Mime($"Rory Requester <{requester}>", _kit.Mail.Demo.SharedMailbox, subject, "Nothing prints.", first));
        await _kit.Mail.ImportAsync();
        var ticketId = (await _kit.EmailAsync(first)).TicketId!.Value;
        return (await _kit.QueryAsync(db => db.Set<Ticket>().AsNoTracking().SingleAsync(t => t.Id == ticketId)), requester);
    }

    /// <summary>A second mailbox of the demo tenant, connected with client credentials and made the default outgoing mailbox.</summary>
    private async Task<ReplyMailbox> DefaultOutgoingMailboxAsync()
    {
        var address = $"helpdesk-{Guid.NewGuid():N}"[..17] + "@" + _kit.Mail.Demo.DefaultDomain;
        await _kit.Mail.Control.CreateUserAsync(_kit.Mail.Demo.TenantId.ToString(), new SandboxNewUser(address, "Helpdesk", null, SandboxMailboxType.Shared));
        var mailbox = await _kit.Get<IMailboxes>().CreateAsync($"Helpdesk {address[9..17]}", MailboxConnectionType.Office365Azure, Actor.System);
        var credential = await _kit.Get<Engine.Credentials.ICredentials>().CreateAsync(mailbox.Id, new CredentialInput
        {
            Authority = GraphAuthority.Sandbox,
            ProcessingMethod = ProcessingMethod.MailboxScan,
            TenantId = _kit.Mail.Demo.TenantId.ToString(),
            ClientId = _kit.Mail.Demo.AppId.ToString(),
            ClientSecret = _kit.Mail.Demo.ClientSecret,
            SecretExpiresAt = _kit.Mail.Demo.ClientSecretExpiresAt,
            EmailAddress = address,
        }, Actor.System);
        var test = await _kit.Get<ICredentialConnections>().TestAsync(credential.Id);
        Assert.True(test.Ok, test.Error?.Message);
        await _kit.Get<IEmailSettings>().SetDefaultOutgoingMailboxAsync(mailbox.Id, Actor.System);
        return new ReplyMailbox(mailbox.Id, mailbox.Name, address);
    }

    /// <summary>The ticket's (demo) mailbox starts failing for real: Graph answers 403 (until repaired) and a connection test records it.</summary>
    private async Task BreakTicketMailboxAsync()
    {
        await _kit.Mail.Control.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.FailRequests, Status: 403));
        var test = await _kit.Get<ICredentialConnections>().TestAsync(await DemoCredentialIdAsync());
        Assert.False(test.Ok);
    }

    private async Task RepairTicketMailboxAsync()
    {
        await _kit.Mail.Control.ClearFaultsAsync();
        var test = await _kit.Get<ICredentialConnections>().TestAsync(await DemoCredentialIdAsync());
        Assert.True(test.Ok, test.Error?.Message);
    }

    private Task<int> DemoCredentialIdAsync() =>
        _kit.QueryAsync(db => db.Set<MailboxCredential>().Where(c => c.MailboxId == SandboxMail.DemoMailboxId).Select(c => c.Id).SingleAsync());

    private Task<int> ThreadLengthAsync(int ticketId) => _kit.QueryAsync(db => db.Set<TicketMessage>().CountAsync(m => m.TicketId == ticketId));

    [Fact]
    public async Task The_plan_names_the_tickets_own_mailbox_while_it_can_send_and_the_reply_goes_from_it()
    {
        var (ticket, requester) = await OpenTicketAsync("Printer jam on floor 2");

        var plan = await _kit.Get<IReplies>().PlanSenderAsync(ticket.Id);

        Assert.False(plan.IsFallback);
        Assert.Null(plan.FallbackReason);
        Assert.Equal(SandboxMail.DemoMailboxId, plan.Sender!.Id);
        Assert.Equal(_kit.Mail.Demo.SharedMailbox, plan.Sender.Address);
        Assert.Equal(plan.Sender, plan.TicketMailbox);

        var queued = await _kit.Get<IReplies>().SendAsync(ticket.Id, new ReplyAuthor(Actor.System, "Agent"), "<p>On my way.</p>", [], ReplyFrom.Confirmed(plan.Sender.Id));
        Assert.Equal(SandboxMail.DemoMailboxId, queued.FromMailboxId);
        Assert.False(queued.Fallback);
        var sent = await _kit.WaitSentAsync(queued.Id);
        Assert.Equal(_kit.Mail.Demo.SharedMailbox, sent.SentFrom);
        await _kit.ReceivedAsync(requester, sent.InternetMessageId);
    }

    [Fact]
    public async Task When_the_tickets_mailbox_fails_the_plan_names_the_fallback_and_why_and_a_confirmed_reply_goes_from_the_fallback()
    {
        var (ticket, requester) = await OpenTicketAsync("Scanner offline");
        var helpdesk = await DefaultOutgoingMailboxAsync();
        await BreakTicketMailboxAsync();
        try
        {
            var plan = await _kit.Get<IReplies>().PlanSenderAsync(ticket.Id);

            Assert.True(plan.IsFallback);
            Assert.Equal(helpdesk, plan.Sender);
            Assert.Equal(SandboxMail.DemoMailboxId, plan.TicketMailbox!.Id);
            Assert.StartsWith($"The ticket's mailbox {plan.TicketMailbox} cannot send: its connection is failing", plan.FallbackReason);

            // Without the agent's agreement to a fallback, nothing is queued.
            var refused = await Assert.ThrowsAsync<ReplySenderException>(() => _kit.Get<IReplies>().SendAsync(
                ticket.Id, new ReplyAuthor(Actor.System, "Agent"), "<p>Not from the ticket's mailbox.</p>", [], ReplyFrom.TicketMailboxOnly));
            Assert.Equal("TicketMailboxCannotSend", refused.Code);
            Assert.Contains(helpdesk.ToString(), refused.Fix);
            Assert.Equal(1, await ThreadLengthAsync(ticket.Id));

            var queued = await _kit.Get<IReplies>().SendAsync(ticket.Id, new ReplyAuthor(Actor.System, "Agent"), "<p>Sent from the helpdesk.</p>", [], ReplyFrom.Confirmed(helpdesk.Id));

            Assert.Equal(helpdesk.Id, queued.FromMailboxId);
            Assert.True(queued.Fallback);
            Assert.Equal(plan.FallbackReason, queued.FallbackReason);
            var sent = await _kit.WaitSentAsync(queued.Id);
            Assert.Equal(helpdesk.Address, sent.SentFrom);
            Assert.True(sent.Fallback);
            var (mime, _) = await _kit.ReceivedAsync(requester, sent.InternetMessageId);
            Assert.Equal(helpdesk.Address, Assert.Single(mime.From.Mailboxes).Address, ignoreCase: true);
        }
        finally
        {
            await RepairTicketMailboxAsync();
        }
    }

    [Fact]
    public async Task A_reply_confirmed_for_the_tickets_mailbox_is_refused_when_that_mailbox_went_down_before_sending()
    {
        var (ticket, _) = await OpenTicketAsync("Wi-Fi drops");
        var helpdesk = await DefaultOutgoingMailboxAsync();
        var shown = await _kit.Get<IReplies>().PlanSenderAsync(ticket.Id);
        Assert.False(shown.IsFallback);
        var shownSender = shown.Sender!;

        await BreakTicketMailboxAsync();
        try
        {
            var refused = await Assert.ThrowsAsync<ReplySenderException>(() => _kit.Get<IReplies>().SendAsync(
                ticket.Id, new ReplyAuthor(Actor.System, "Agent"), "<p>Restart the router.</p>", [], ReplyFrom.Confirmed(shownSender.Id)));

            Assert.Equal("SenderChanged", refused.Code);
            Assert.Contains($"it was to go from '{shownSender.Name}'", refused.Message);
            Assert.Contains($"It would now go from {helpdesk}, the default outgoing mailbox.", refused.Message);
            Assert.Equal(helpdesk, refused.Plan.Sender);
            Assert.Equal(1, await ThreadLengthAsync(ticket.Id));
            Assert.Equal(0, await _kit.QueryAsync(db => db.Set<OutboundMessage>().CountAsync(m => m.TicketId == ticket.Id)));
        }
        finally
        {
            await RepairTicketMailboxAsync();
        }
    }

    [Fact]
    public async Task A_queued_reply_whose_mailbox_cannot_send_fails_instead_of_leaving_from_the_default_outgoing_mailbox()
    {
        var (ticket, requester) = await OpenTicketAsync("Docking station");
        await _kit.Get<IEmailSettings>().SetDefaultOutgoingMailboxAsync(null, Actor.System);
        await BreakTicketMailboxAsync();
        try
        {
            // Nothing can send: the reply is stored for the ticket's mailbox and fails visibly.
            var queued = await _kit.Get<IReplies>().SendAsync(ticket.Id, new ReplyAuthor(Actor.System, "Agent"), "<p>A new dock is on its way.</p>", []);
            Assert.Equal(SandboxMail.DemoMailboxId, queued.FromMailboxId);
            var failed = await _kit.WaitSentAsync(queued.Id, OutboundStatus.Failed);
            Assert.Equal("NoSendingMailbox", failed.LastErrorCode);

            // A connected default outgoing mailbox appears meanwhile: Retry now still does not send from it.
            var helpdesk = await DefaultOutgoingMailboxAsync();
            await _kit.Get<IReplies>().RetryAsync(queued.Id, Actor.System);
            failed = await _kit.WaitSentAsync(queued.Id, OutboundStatus.Failed);
            var ticketMailbox = (await _kit.Get<IReplies>().PlanSenderAsync(ticket.Id)).TicketMailbox;
            Assert.Contains($"This reply goes only from {ticketMailbox}, the mailbox chosen when it was written, and that mailbox cannot send: its connection is failing", failed.LastError);
            Assert.Contains("It was not sent from any other mailbox.", failed.LastError);
            Assert.DoesNotContain(helpdesk.Address!, failed.LastError);

            await RepairTicketMailboxAsync();
            await _kit.Get<IReplies>().RetryAsync(queued.Id, Actor.System);
            var sent = await _kit.WaitSentAsync(queued.Id);
            Assert.Equal(_kit.Mail.Demo.SharedMailbox, sent.SentFrom);
            await _kit.ReceivedAsync(requester, sent.InternetMessageId);
        }
        finally
        {
            await RepairTicketMailboxAsync();
        }
    }

    [Fact]
    public async Task The_api_plans_the_sender_reports_the_mailbox_a_reply_goes_from_and_refuses_a_fallback_when_asked()
    {
        var (ticket, requester) = await OpenTicketAsync("API sender");
        var helpdesk = await DefaultOutgoingMailboxAsync();
        using var client = app.CreateApiClient();
        await BreakTicketMailboxAsync();
        try
        {
            var plan = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tickets/{ticket.Id}/reply-sender");
            Assert.True(plan.GetProperty("fallback").GetBoolean());
            Assert.Equal(helpdesk.Id, plan.GetProperty("sender").GetProperty("mailboxId").GetInt32());
            Assert.Equal(helpdesk.Address, plan.GetProperty("sender").GetProperty("address").GetString());
            Assert.Equal(SandboxMail.DemoMailboxId, plan.GetProperty("ticketMailbox").GetProperty("mailboxId").GetInt32());
            Assert.Contains("cannot send", plan.GetProperty("fallbackReason").GetString());

            var refused = await client.PostAsJsonAsync($"/api/v1/tickets/{ticket.Id}/replies", new { bodyHtml = "<p>Only from support.</p>", allowFallback = false });
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("TicketMailboxCannotSend", problem.GetProperty("code").GetString());
            Assert.Contains("Configuration > Email > Mailboxes", problem.GetProperty("fix").GetString());
            Assert.Equal(helpdesk.Id, problem.GetProperty("sender").GetProperty("sender").GetProperty("mailboxId").GetInt32());

            var changed = await client.PostAsJsonAsync($"/api/v1/tickets/{ticket.Id}/replies", new { bodyHtml = "<p>From support.</p>", fromMailboxId = SandboxMail.DemoMailboxId });
            Assert.Equal(HttpStatusCode.Conflict, changed.StatusCode);
            Assert.Equal("SenderChanged", (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
            Assert.Equal(1, await ThreadLengthAsync(ticket.Id));

            var accepted = await client.PostAsJsonAsync($"/api/v1/tickets/{ticket.Id}/replies", new { bodyHtml = "<p>From the helpdesk.</p>", fromMailboxId = helpdesk.Id });
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            var body = await accepted.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(helpdesk.Id, body.GetProperty("fromMailboxId").GetInt32());
            Assert.True(body.GetProperty("fallback").GetBoolean());
            Assert.Contains("cannot send", body.GetProperty("fallbackReason").GetString());
            Assert.Equal(JsonValueKind.Null, body.GetProperty("sentFromMailboxId").ValueKind);

            var id = body.GetProperty("id").GetInt64();
            var sent = await _kit.WaitSentAsync(id);
            await _kit.ReceivedAsync(requester, sent.InternetMessageId);
            var state = await client.GetFromJsonAsync<JsonElement>($"/api/v1/outbound-messages/{id}");
            Assert.Equal("Sent", state.GetProperty("status").GetString());
            Assert.Equal(helpdesk.Id, state.GetProperty("sentFromMailboxId").GetInt32());
            Assert.Equal(helpdesk.Address, state.GetProperty("sentFrom").GetString());
            Assert.True(state.GetProperty("fallback").GetBoolean());
        }
        finally
        {
            await RepairTicketMailboxAsync();
        }
    }
}
