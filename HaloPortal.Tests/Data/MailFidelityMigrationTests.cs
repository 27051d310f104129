using HaloPortal.Engine.EndUsers;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Tickets;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace HaloPortal.Tests.Data;

/// <summary>Upgrading a database with mail in it: the emails that opened tickets before one-ticket-across-mailboxes existed become their Message-IDs' owners.</summary>
public sealed class MailFidelityMigrationTests
{
    [Fact]
    public async Task The_migration_records_the_first_email_that_took_each_Message_ID_to_a_ticket()
    {
        using var database = TestDatabase.Create();
        long first, second, ignored;
        int mailboxA;
        await using (var db = await database.Contexts.CreateDbContextAsync())
        {
            var now = DateTimeOffset.UtcNow;
            var site = new Site { Name = "Upgrade", CreatedAt = now };
            var a = new Mailbox { Name = "A", ConnectionType = MailboxConnectionType.Office365Azure };
            var b = new Mailbox { Name = "B", ConnectionType = MailboxConnectionType.Office365Azure };
            db.AddRange(site, a, b);
            await db.SaveChangesAsync();
            var requester = new EndUser { Email = "jane@customer.example", Name = "Jane", SiteId = site.Id, CreatedAt = now };
            db.Add(requester);
            await db.SaveChangesAsync();
            var ticket = new Ticket { Number = 1, Subject = "Old", RequesterId = requester.Id, MailboxId = a.Id, CreatedAt = now, UpdatedAt = now };
            db.Add(ticket);
            await db.SaveChangesAsync();

            InboundEmail Email(Mailbox mailbox, string messageId, InboundStatus status, int? ticketId) => new()
            {
                MailboxId = mailbox.Id, DedupeKey = messageId, InternetMessageId = messageId, Status = status, Stage = InboundStage.Done, TicketId = ticketId,
                CreatedAt = now, UpdatedAt = now,
            };
            var e1 = Email(a, "old@customer.example", InboundStatus.Processed, ticket.Id);
            var e2 = Email(b, "old@customer.example", InboundStatus.Processed, ticket.Id); // the same message, an update of the same ticket in B
            var e3 = Email(a, "spam@customer.example", InboundStatus.Ignored, null);
            db.AddRange(e1, e2, e3);
            await db.SaveChangesAsync();
            (first, second, ignored, mailboxA) = (e1.Id, e2.Id, e3.Id, a.Id);

            // Back to the schema before MailFidelity (its tables dropped, the mail kept), then up again as an upgrade would.
            var migrations = db.Database.GetMigrations().ToList();
            var before = migrations[migrations.FindIndex(m => m.EndsWith("_MailFidelity", StringComparison.Ordinal)) - 1];
            var migrator = db.GetService<IMigrator>();
            await migrator.MigrateAsync(before);
            await migrator.MigrateAsync();
        }

        await using var check = await database.Contexts.CreateDbContextAsync();
        var owner = Assert.Single(await check.Set<InboundMessageOwner>().ToListAsync());
        Assert.Equal("old@customer.example", owner.MessageKey);
        Assert.Equal(first, owner.InboundEmailId);
        Assert.Equal(mailboxA, owner.MailboxId);
        Assert.NotEqual(second, owner.InboundEmailId);
        Assert.NotEqual(ignored, owner.InboundEmailId);
    }
}
