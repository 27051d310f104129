using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Tickets;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Ingestion;

/// <summary>One email delivered to two connected mailboxes (To: support@, Cc: sales@) makes one ticket, unless the setting says otherwise.</summary>
public sealed class CrossMailboxCopyTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private readonly SandboxMail _mail = new(app);

    private T Get<T>() where T : notnull => app.Services.GetRequiredService<T>();

    private async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        await using var db = await Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await query(db);
    }

    /// <summary>A second shared mailbox of the demo tenant, connected with client credentials (mail delivered from now on is imported).</summary>
    private async Task<(int Id, string Name, string Address)> SalesMailboxAsync()
    {
        var address = $"sales-{Guid.NewGuid():N}"[..14] + "@" + _mail.Demo.DefaultDomain;
        await _mail.Control.CreateUserAsync(_mail.Demo.TenantId.ToString(), new SandboxNewUser(address, "Sales", null, SandboxMailboxType.Shared));
        var mailbox = await Get<IMailboxes>().CreateAsync($"Sales {address[6..14]}", MailboxConnectionType.Office365Azure, Actor.System);
        var credential = await Get<ICredentials>().CreateAsync(mailbox.Id, new CredentialInput
        {
            Authority = GraphAuthority.Sandbox,
            ProcessingMethod = ProcessingMethod.MailboxScan,
            TenantId = _mail.Demo.TenantId.ToString(),
            ClientId = _mail.Demo.AppId.ToString(),
            ClientSecret = _mail.Demo.ClientSecret,
            SecretExpiresAt = _mail.Demo.ClientSecretExpiresAt,
            EmailAddress = address,
        }, Actor.System);
        var test = await Get<ICredentialConnections>().TestAsync(credential.Id);
        Assert.True(test.Ok, test.Error?.Message);
        return (mailbox.Id, mailbox.Name, address);
    }

    private async Task<(string MessageId, string SalesMessageId)> DeliverToBothAsync(string sales, string subject)
    {
        var id = SandboxMail.NewMessageId();
        var mime = SandboxMail.Mime("Cleo Customer <cleo@customer.example>", _mail.Demo.SharedMailbox, subject, "Sent to support, copied to sales.", id,
            extraHeaders: $"Cc: {sales}");
        await _mail.DeliverAsync(mime);
        var atSales = await _mail.DeliverAsync(mime, sales);
        return (id, atSales.Id);
    }

    [Fact]
    public async Task The_same_email_in_two_mailboxes_processed_at_once_makes_one_ticket_and_the_copy_names_it_and_still_gets_its_processed_action()
    {
        Assert.True((await Get<IIngestionSettings>().GetAsync()).OneTicketAcrossMailboxes); // the default
        var sales = await SalesMailboxAsync();
        await _mail.ImportAsync(); // whatever the demo seed left in the support mailbox, so the counts below are about this email only
        var (id, salesCopy) = await DeliverToBothAsync(sales.Address, "Quote for 40 laptops");

        var reports = await Task.WhenAll(_mail.Scanner.ImportAsync(SandboxMail.DemoMailboxId), _mail.Scanner.ImportAsync(sales.Id));

        Assert.All(reports, r => Assert.Null(r.Error));
        Assert.Equal(1, reports.Sum(r => r.Created));
        Assert.Equal(1, reports.Sum(r => r.Ignored));
        var emails = await QueryAsync(db => db.Set<InboundEmail>().AsNoTracking().Where(e => e.InternetMessageId == id).ToListAsync());
        Assert.Equal(2, emails.Count);
        var owner = Assert.Single(emails, e => e.Status == InboundStatus.Processed);
        var copy = Assert.Single(emails, e => e.Status == InboundStatus.Ignored);
        Assert.NotEqual(owner.MailboxId, copy.MailboxId);
        var ticket = await QueryAsync(db => db.Set<Ticket>().AsNoTracking().SingleAsync(t => t.Id == owner.TicketId));
        Assert.Equal(1, await QueryAsync(db => db.Set<TicketMessage>().CountAsync(m => m.InternetMessageId == id)));
        Assert.Equal(CrossMailboxCopies.ErrorCode, copy.ErrorCode);
        Assert.Equal(InboundStage.Done, copy.Stage);
        Assert.Equal(ticket.Id, copy.TicketId);
        var ownerName = owner.MailboxId == sales.Id ? sales.Name : (await Get<IMailboxes>().GetAsync(SandboxMail.DemoMailboxId))!.Name;
        Assert.Contains($"ticket #{ticket.Number}", copy.Reason);
        Assert.Contains($"mailbox '{ownerName}'", copy.Reason);
        Assert.Contains($"#{owner.Id}", copy.Reason);

        // Both copies got their mailbox's processed-mail action (moved to Processed), the ignored one too.
        Assert.DoesNotContain(await _mail.Control.ListMessagesAsync(_mail.Demo.SharedMailbox, "inbox"), m => m.InternetMessageId?.Contains(id) == true);
        Assert.DoesNotContain(await _mail.Control.ListMessagesAsync(sales.Address, "inbox"), m => m.Id == salesCopy);
        var copyLog = await QueryAsync(db => db.Set<InboundRequest>().AsNoTracking().Where(r => r.InboundEmailId == copy.Id).ToListAsync());
        Assert.Contains(Assert.Single(copyLog).Log, l => l.Message.Contains("Moved to the 'Processed' folder"));
    }

    [Fact]
    public async Task With_the_setting_off_each_mailbox_opens_its_own_ticket()
    {
        var settings = Get<IIngestionSettings>();
        var sales = await SalesMailboxAsync();
        await settings.SetOneTicketAcrossMailboxesAsync(false, Actor.System);
        try
        {
            var (id, _) = await DeliverToBothAsync(sales.Address, "Two mailboxes, two tickets");

            await _mail.Scanner.ImportAsync(SandboxMail.DemoMailboxId);
            await _mail.Scanner.ImportAsync(sales.Id);

            var emails = await QueryAsync(db => db.Set<InboundEmail>().AsNoTracking().Where(e => e.InternetMessageId == id).ToListAsync());
            Assert.Equal(2, emails.Count);
            Assert.All(emails, e => Assert.Equal(InboundStatus.Processed, e.Status));
            Assert.Equal(2, emails.Select(e => e.TicketId).Distinct().Count());
        }
        finally
        {
            await settings.SetOneTicketAcrossMailboxesAsync(true, Actor.System);
        }
    }

    [Fact]
    public async Task A_Message_ID_is_owned_by_one_inbound_email_only_whatever_races_to_record_it()
    {
        var key = SandboxMail.NewMessageId("race.example");
        var ids = new List<(long Id, int MailboxId)>();
        foreach (var copy in new[] { "support", "sales" })
        {
            // Two mailboxes' records of the same email, as two nodes would hold them while deciding at once.
            var email = new InboundEmail { MailboxId = SandboxMail.DemoMailboxId, DedupeKey = $"{copy}:{key}", InternetMessageId = key, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow };
            await QueryAsync(db =>
            {
                db.Add(email);
                return db.SaveChangesAsync();
            });
            ids.Add((email.Id, email.MailboxId));
        }

        await QueryAsync(db =>
        {
            db.Add(new InboundMessageOwner { MessageKey = key, InboundEmailId = ids[0].Id, MailboxId = ids[0].MailboxId, CreatedAt = DateTimeOffset.UtcNow });
            return db.SaveChangesAsync();
        });

        await Assert.ThrowsAsync<DbUpdateException>(() => QueryAsync(db =>
        {
            db.Add(new InboundMessageOwner { MessageKey = key, InboundEmailId = ids[1].Id, MailboxId = ids[1].MailboxId, CreatedAt = DateTimeOffset.UtcNow });
            return db.SaveChangesAsync();
        }));
    }
}
