using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Nodes;
using HaloPortal.Engine.Parsing;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Tickets;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Tests.Outbound;

/// <summary>Acknowledgements: once per new ticket, never to auto-replies, at most N per sender per hour.</summary>
public sealed class AcknowledgementTests : IClassFixture<PortalAppFactory>, IAsyncLifetime
{
    private readonly OutboundKit _kit;

    public AcknowledgementTests(PortalAppFactory app) => _kit = new OutboundKit(app);

    public async Task InitializeAsync() =>
        await _kit.Get<IAcknowledgements>().SaveAsync(SandboxMail.DemoMailboxId, AcknowledgementOptions.Default with { Enabled = true }, Actor.System);

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<List<OutboundMessage>> AcknowledgementsToAsync(string address) =>
        _kit.QueryAsync(db => db.Set<OutboundMessage>().AsNoTracking().Where(m => m.Kind == OutboundKind.Acknowledgement && m.To == address.ToLower()).OrderBy(m => m.Id).ToListAsync());

    [Fact]
    public async Task Acknowledgements_are_off_by_default()
    {
        Assert.False(AcknowledgementOptions.Default.Enabled);
        Assert.Equal(3, AcknowledgementOptions.Default.MaxPerSenderPerHour);
        Assert.False((await _kit.Get<IAcknowledgements>().GetAsync(999)).Enabled);
    }

    [Fact]
    public async Task A_new_ticket_is_acknowledged_once_and_a_reply_on_it_is_not()
    {
        var requester = await _kit.CreateRequesterAsync("ack", "Ada Ack");
        var first = SandboxMail.NewMessageId("contoso.sandbox");
        await _kit.Mail.DeliverAsync(SandboxMail.Mime($"Ada Ack <{requester}>", _kit.Mail.Demo.SharedMailbox, "Wi-Fi in the lobby", "No signal.", first));
        await _kit.Mail.ImportAsync();
        var ticket = await _kit.QueryAsync(async db => await db.Set<Ticket>().AsNoTracking().SingleAsync(t => t.Id == db.Set<InboundEmail>().Single(e => e.InternetMessageId == first).TicketId));

        var ack = Assert.Single(await AcknowledgementsToAsync(requester));
        await _kit.WaitSentAsync(ack.Id);
        var (mime, _) = await _kit.ReceivedAsync(requester, ack.InternetMessageId);
        Assert.Contains(TicketSubject.Tag(ticket.Number), mime.Subject);
        Assert.Contains("Wi-Fi in the lobby", mime.Subject);
        Assert.Contains("Ada Ack", mime.HtmlBody);
        Assert.Equal(first, mime.InReplyTo);
        Assert.Equal("auto-replied", mime.Headers["Auto-Submitted"]);
        Assert.Equal("All", mime.Headers["X-Auto-Response-Suppress"]);

        var followUp = SandboxMail.NewMessageId("contoso.sandbox");
        await _kit.Mail.DeliverAsync(SandboxMail.Mime(requester, _kit.Mail.Demo.SharedMailbox, "RE: Wi-Fi in the lobby", "Still nothing.", followUp, inReplyTo: first));
        await _kit.Mail.ImportAsync();
        Assert.Equal(ticket.Id, (await _kit.EmailAsync(followUp)).TicketId);
        Assert.Single(await AcknowledgementsToAsync(requester));
    }

    [Fact]
    public async Task An_acknowledgement_whose_node_died_after_handing_it_to_Graph_is_not_sent_again()
    {
        var requester = await _kit.CreateRequesterAsync("crash", "Cy Crash");
        var id = SandboxMail.NewMessageId("contoso.sandbox");
        await _kit.Mail.DeliverAsync(SandboxMail.Mime($"Cy Crash <{requester}>", _kit.Mail.Demo.SharedMailbox, "Printer jammed", "Again.", id));
        await _kit.Mail.ImportAsync();
        var ack = Assert.Single(await AcknowledgementsToAsync(requester));
        await _kit.WaitSentAsync(ack.Id);

        // As a node killed between Graph's sendMail and its database write leaves it: Sending, claimed by a process that is gone.
        await _kit.QueryAsync(async db =>
        {
            var at = DateTimeOffset.UtcNow.AddHours(-1);
            db.Add(new PortalNode { InstanceId = "killed-instance", Name = "killed-node", StartedAt = at, LastSeenAt = at });
            await db.SaveChangesAsync();
            return await db.Set<OutboundMessage>().Where(m => m.Id == ack.Id).ExecuteUpdateAsync(u => u
                .SetProperty(m => m.Status, OutboundStatus.Sending).SetProperty(m => m.ClaimedBy, "killed-instance")
                .SetProperty(m => m.ClaimExpiresAt, DateTimeOffset.UtcNow.AddMinutes(10)).SetProperty(m => m.Node, "killed-node"));
        });

        var sender = _kit.Get<OutboundSender>();
        Assert.Equal(1, await sender.RecoverAsync(default));
        await sender.SendOneAsync(ack.Id, default);

        await _kit.WaitSentAsync(ack.Id);
        var bracketed = $"<{ack.InternetMessageId}>";
        Assert.Single(await _kit.Mail.Control.ListMessagesAsync(_kit.Mail.Demo.SharedMailbox, "sentitems"), m => m.InternetMessageId == bracketed);
        Assert.Single(await _kit.InboxAsync(requester), m => m.InternetMessageId == bracketed);
    }

    [Fact]
    public async Task An_auto_reply_gets_no_acknowledgement()
    {
        var id = SandboxMail.NewMessageId();
        await _kit.Mail.DeliverAsync(SandboxMail.Mime("away@customer.example", _kit.Mail.Demo.SharedMailbox, "Automatic reply: Wi-Fi", "I am away.", id,
            extraHeaders: "Auto-Submitted: auto-replied"));
        await _kit.Mail.ImportAsync();

        var email = await _kit.EmailAsync(id);
        Assert.Equal(InboundStatus.Ignored, email.Status);
        Assert.Null(email.TicketId);
        Assert.Empty(await AcknowledgementsToAsync("away@customer.example"));
    }

    [Fact]
    public async Task The_loop_brake_stops_the_fourth_acknowledgement_within_an_hour()
    {
        const string sender = "loop@customer.example";
        var ids = new List<string>();
        for (var i = 1; i <= 4; i++)
        {
            var id = SandboxMail.NewMessageId();
            ids.Add(id);
            await _kit.Mail.DeliverAsync(SandboxMail.Mime(sender, _kit.Mail.Demo.SharedMailbox, $"Robot report {i}", "Automated.", id, date: DateTimeOffset.UtcNow.AddSeconds(i)));
        }

        await _kit.Mail.ImportAsync();

        foreach (var id in ids)
        {
            Assert.NotNull((await _kit.EmailAsync(id)).TicketId);
        }

        Assert.Equal(3, (await AcknowledgementsToAsync(sender)).Count);
        var fourth = await _kit.EmailAsync(ids[3]);
        var log = await _kit.QueryAsync(db => db.Set<InboundRequest>().AsNoTracking().Where(r => r.InboundEmailId == fourth.Id).ToListAsync());
        Assert.Contains(log.SelectMany(r => r.Log), l => l.Message.Contains("loop brake"));

        // An hour later the brake has released.
        await _kit.QueryAsync(db => db.Set<OutboundMessage>().Where(m => m.To == sender)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-61))));
        var later = SandboxMail.NewMessageId();
        await _kit.Mail.DeliverAsync(SandboxMail.Mime(sender, _kit.Mail.Demo.SharedMailbox, "Robot report 5", "Automated.", later));
        await _kit.Mail.ImportAsync();
        Assert.Equal(4, (await AcknowledgementsToAsync(sender)).Count);
    }
}
