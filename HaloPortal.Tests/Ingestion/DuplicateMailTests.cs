using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Tickets;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Ingestion;

/// <summary>Duplicates inside one delta page or one run follow the exactly-once rules instead of failing the batch.</summary>
public sealed class DuplicateMailTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private readonly SandboxMail _mail = new(app);

    private async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        var contexts = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await query(db);
    }

    private Task<List<InboundEmail>> EmailsAsync(string messageId) =>
        QueryAsync(db => db.Set<InboundEmail>().AsNoTracking().Where(e => e.InternetMessageId == messageId).OrderBy(e => e.Id).ToListAsync());

    [Fact]
    public async Task Two_copies_of_a_message_in_one_page_make_one_ticket_and_the_copy_is_ignored_as_a_duplicate_while_the_others_become_tickets()
    {
        var shared = SandboxMail.NewMessageId();
        var before = SandboxMail.NewMessageId();
        var poison = SandboxMail.NewMessageId();
        var after = SandboxMail.NewMessageId();
        var copy = SandboxMail.Mime("twin@customer.example", _mail.Demo.SharedMailbox, "Delivered twice", "Same message, two copies.", shared);
        await _mail.DeliverAsync(SandboxMail.Mime("first@customer.example", _mail.Demo.SharedMailbox, "Before the twins", "body", before));
        await _mail.DeliverAsync(copy);
        await _mail.DeliverAsync(SandboxMail.Mime("poison@customer.example", _mail.Demo.SharedMailbox, "Throws while decided", "body", poison));
        await _mail.DeliverAsync(copy);
        await _mail.DeliverAsync(SandboxMail.Mime("last@customer.example", _mail.Demo.SharedMailbox, "After the twins", "body", after));

        var probe = app.Probe;
        probe.BeforeDecide = async emailId =>
        {
            if (await QueryAsync(db => db.Set<InboundEmail>().AnyAsync(e => e.Id == emailId && e.InternetMessageId == poison)))
            {
                throw new InvalidOperationException("Simulated defect while deciding.");
            }
        };
        ScanReport report;
        try
        {
            report = await _mail.ImportAsync();
        }
        finally
        {
            probe.BeforeDecide = null;
        }

        Assert.Null(report.Error);
        Assert.Equal(1, report.Pending); // the email that threw, retried later
        Assert.Equal(1, report.Ignored);
        var twins = await EmailsAsync(shared);
        Assert.Equal(2, twins.Count);
        Assert.Equal(InboundStatus.Processed, twins[0].Status);
        Assert.NotNull(twins[0].TicketId);
        Assert.Equal(InboundStatus.Ignored, twins[1].Status);
        Assert.Equal("Duplicate", twins[1].ErrorCode);
        Assert.Contains($"Duplicate of #{twins[0].Id}", twins[1].Reason);
        Assert.Null(twins[1].TicketId);
        Assert.Equal(1, await QueryAsync(db => db.Set<TicketMessage>().CountAsync(m => m.InternetMessageId == shared)));
        foreach (var id in new[] { before, after })
        {
            Assert.Equal(InboundStatus.Processed, Assert.Single(await EmailsAsync(id)).Status);
        }

        var stuck = Assert.Single(await EmailsAsync(poison));
        Assert.Equal("DecisionFailed", stuck.ErrorCode);
        Assert.Contains("Simulated defect while deciding.", stuck.Reason);
        var inbox = await _mail.Control.ListMessagesAsync(_mail.Demo.SharedMailbox, "inbox");
        Assert.DoesNotContain(inbox, m => m.InternetMessageId?.Contains(shared) == true);

        // The stuck email is retried by the next scan once its attempt is due (replay is only for failed emails).
        await QueryAsync(db => db.Set<InboundEmail>().Where(e => e.Id == stuck.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.NextAttemptAt, DateTimeOffset.UtcNow.AddSeconds(-1))));
        await _mail.ImportAsync();
        Assert.Equal(InboundStatus.Processed, Assert.Single(await EmailsAsync(poison)).Status);
        Assert.Equal(2, (await EmailsAsync(shared)).Count);
    }

    [Fact]
    public async Task Messages_without_a_Message_ID_are_each_their_own_ticket()
    {
        var subjects = new[] { "No id one", "No id two", "No id one" };
        foreach (var subject in subjects)
        {
            await _mail.DeliverAsync($"From: anon@customer.example\r\nTo: {_mail.Demo.SharedMailbox}\r\nSubject: {subject}\r\n\r\nNo Message-ID here.\r\n");
        }

        var report = await _mail.ImportAsync();

        Assert.Null(report.Error);
        var emails = await QueryAsync(db => db.Set<InboundEmail>().AsNoTracking().Where(e => e.From == "anon@customer.example").ToListAsync());
        Assert.Equal(3, emails.Count);
        Assert.All(emails, e => Assert.Equal(InboundStatus.Processed, e.Status));
        Assert.Equal(3, emails.Select(e => e.TicketId).Distinct().Count());
    }
}
