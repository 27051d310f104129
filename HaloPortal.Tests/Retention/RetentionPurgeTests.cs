using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.EndUsers;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Retention;
using HaloPortal.Engine.Tickets;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HaloPortal.Tests.Retention;

/// <summary>The daily purge on a fake clock: what is older than its period goes, what is younger, unfinished or a ticket's own stays.</summary>
public sealed class RetentionPurgeTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private TestDatabase _database = null!;
    private ServiceProvider _services = null!;
    private IRetention _retention = null!;
    private int _mailboxId;

    public async Task InitializeAsync()
    {
        _database = TestDatabase.Create();
        _services = await TestEngine.StartAsync(_database, s => s.AddSingleton<TimeProvider>(_clock)
            .Configure<RetentionOptions>(o => o.BatchSize = 10)); // several batches per kind, so the keyset walk is exercised
        _retention = _services.GetRequiredService<IRetention>();
        _mailboxId = (await _services.GetRequiredService<IMailboxes>().CreateAsync($"Retention {Guid.NewGuid():N}"[..20], MailboxConnectionType.Office365Azure, Actor.System)).Id;
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task A_purge_removes_only_what_is_older_than_its_period_and_never_a_tickets_messages_or_attachments()
    {
        await _retention.SaveAsync(new RetentionPeriods(RawMimeDays: 30, RequestDataDays: 10, RejectedNotificationDays: 7, AuditDays: 90), Actor.System);
        var ticket = await SeedTicketAsync();

        // Day 0: 25 processed emails (more than two batches), one still pending, one failed with a retry due, each with a request; 3 rejected notifications.
        var old = new List<long>();
        for (var i = 0; i < 25; i++)
        {
            old.Add(await SeedEmailAsync(InboundStatus.Processed, ticket.Id));
        }

        var pending = await SeedEmailAsync(InboundStatus.Pending, null);
        var retrying = await SeedEmailAsync(InboundStatus.Failed, null, nextAttemptAt: Start.AddDays(40));
        for (var i = 0; i < 3; i++)
        {
            await SeedRejectedAsync();
        }

        // Day 20: a young email and a young rejected notification.
        _clock.Advance(TimeSpan.FromDays(20));
        var young = await SeedEmailAsync(InboundStatus.Ignored, null);
        var youngRejected = await SeedRejectedAsync();
        var auditBefore = await CountAsync<AuditEntry>();

        // Day 31: day 0's raw messages are past 30 days; the request data of day 0 and of day 20 (11 days old) past 10; both days' rejected notifications past 7.
        _clock.Advance(TimeSpan.FromDays(11));
        var run = await _retention.PurgeAsync(Actor.User("admin@example.com"));

        Assert.Equal(25, run.RawMimes);                       // the 25 finished old ones; not the pending, not the one due for a retry, not the 11-day-old one
        Assert.Equal(25 + 1 + 1, run.RequestData);            // the finished requests older than 10 days: the 25, the retrying one's, the young one's (11 days); not the pending one's
        Assert.Equal(3 + 1, run.RejectedNotifications);       // day 0's and day 20's (11 days old) rejected notifications
        Assert.Equal(0, run.AuditEntries);                    // nothing is 90 days old yet
        Assert.False(run.MoreLeft);

        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            Assert.All(await db.Set<InboundEmail>().Where(e => old.Contains(e.Id)).ToListAsync(), e =>
            {
                Assert.Null(e.RawMime);
                Assert.Equal(Start.AddDays(31), e.RawPurgedAt);
            });
            Assert.NotNull((await db.Set<InboundEmail>().SingleAsync(e => e.Id == pending)).RawMime);
            Assert.NotNull((await db.Set<InboundEmail>().SingleAsync(e => e.Id == retrying)).RawMime);
            Assert.NotNull((await db.Set<InboundEmail>().SingleAsync(e => e.Id == young)).RawMime);
            Assert.Null((await db.Set<InboundRequest>().SingleAsync(r => r.InboundEmailId == young)).RawData); // its request data is 11 days old
            Assert.NotNull((await db.Set<InboundRequest>().SingleAsync(r => r.InboundEmailId == pending)).RawData);
            Assert.Equal(0, await db.Set<InboundRequest>().CountAsync(r => r.Outcome == RequestOutcome.Rejected));
            Assert.False(await db.Set<InboundRequest>().AnyAsync(r => r.Id == youngRejected));

            // The ticket is whole: its message bodies and the attachment's bytes.
            var message = await db.Set<TicketMessage>().Include(m => m.Attachments).SingleAsync(m => m.TicketId == ticket.Id);
            Assert.Equal("The printer is on fire.", message.BodyText);
            Assert.Equal(ticket.AttachmentBytes, Assert.Single(message.Attachments).Content);
        }

        // The purge is audited, and recorded for the screen.
        Assert.Equal(auditBefore + 1, await CountAsync<AuditEntry>());
        var state = await _retention.GetAsync();
        Assert.Equal(run, state.LastRun);
        Assert.Equal("admin@example.com", state.LastRun!.By);

        // Day 120: the audit entries of day 0 are past 90 days, the purge's own of day 31 is not; the young email's raw message is now 100 days old.
        // The pending email and the one with a retry due keep theirs whatever their age.
        _clock.Advance(TimeSpan.FromDays(89));
        var second = await _retention.PurgeAsync(Actor.System);
        Assert.Equal(auditBefore, second.AuditEntries);
        Assert.Equal(1, second.RawMimes);
        Assert.Equal(0, second.RequestData);
        Assert.Equal(2, await CountAsync<AuditEntry>()); // day 31's purge and day 120's
        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            Assert.NotNull((await db.Set<InboundEmail>().SingleAsync(e => e.Id == pending)).RawMime);
            Assert.NotNull((await db.Set<InboundEmail>().SingleAsync(e => e.Id == retrying)).RawMime);
            Assert.Single(await db.Set<TicketAttachment>().Where(a => a.Name == "photo.jpg" && a.Content.Length == 4096).ToListAsync());
        }
    }

    [Fact]
    public async Task A_run_stops_at_its_cap_and_says_more_is_left_and_the_next_run_finishes()
    {
        await using var capped = await TestEngine.StartAsync(_database, s => s.AddSingleton<TimeProvider>(_clock)
            .Configure<RetentionOptions>(o => (o.BatchSize, o.MaxRowsPerRun) = (10, 100)));
        var retention = capped.GetRequiredService<IRetention>();
        for (var i = 0; i < 130; i++)
        {
            await SeedRejectedAsync();
        }

        _clock.Advance(TimeSpan.FromDays(RetentionPeriods.Default.RejectedNotificationDays + 1));
        var first = await retention.PurgeAsync(Actor.System);
        Assert.Equal(100, first.RejectedNotifications);
        Assert.True(first.MoreLeft);
        var second = await retention.PurgeAsync(Actor.System);
        Assert.Equal(30, second.RejectedNotifications);
        Assert.False(second.MoreLeft);
    }

    [Fact]
    public async Task A_failed_purge_raises_the_retention_problem_and_the_next_completed_one_resolves_it()
    {
        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE \"AuditEntries\" RENAME TO \"AuditEntriesAway\"");
        }

        await Assert.ThrowsAnyAsync<Exception>(() => _retention.PurgeAsync(Actor.System));
        Assert.Null((await _retention.GetAsync()).LastRun); // the failed run is not recorded as a purge that finished
        Assert.Equal(1, await OpenProblemsAsync());

        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE \"AuditEntriesAway\" RENAME TO \"AuditEntries\"");
        }

        await _retention.PurgeAsync(Actor.System);
        Assert.NotNull((await _retention.GetAsync()).LastRun);
        Assert.Equal(0, await OpenProblemsAsync());
    }

    private async Task<int> OpenProblemsAsync()
    {
        await using var db = await _database.Contexts.CreateDbContextAsync();
        return await db.Set<HaloPortal.Engine.Notifications.Problem>().CountAsync(p => p.Key == "retention" && p.ResolvedAt == null);
    }

    [Theory]
    [InlineData(0, 30, 14, 365, "rawMimeDays")]
    [InlineData(30, 3651, 14, 365, "requestDataDays")]
    [InlineData(30, 30, -1, 365, "rejectedNotificationDays")]
    [InlineData(30, 30, 14, 29, "auditDays")]
    public async Task A_period_out_of_range_is_refused_naming_the_field_and_nothing_changes(int raw, int data, int rejected, int audit, string field)
    {
        var error = await Assert.ThrowsAsync<RetentionValidationException>(() => _retention.SaveAsync(new RetentionPeriods(raw, data, rejected, audit), Actor.System));
        Assert.Contains("enter a number of days from", Assert.Single(error.Errors, e => e.Key == field).Value);
        Assert.Equal(RetentionPeriods.Default, (await _retention.GetAsync()).Periods);
    }

    private async Task<int> CountAsync<T>() where T : class
    {
        await using var db = await _database.Contexts.CreateDbContextAsync();
        return await db.Set<T>().CountAsync();
    }

    private sealed record SeededTicket(int Id, byte[] AttachmentBytes);

    private async Task<SeededTicket> SeedTicketAsync()
    {
        await using var db = await _database.Contexts.CreateDbContextAsync();
        var now = _clock.GetUtcNow();
        var site = new Site { Name = $"Site {Guid.NewGuid():N}", CreatedAt = now };
        var requester = new EndUser { Email = "jane@customer.example", Name = "Jane", CreatedAt = now };
        db.Add(site);
        await db.SaveChangesAsync();
        requester.SiteId = site.Id;
        db.Add(requester);
        await db.SaveChangesAsync();
        var bytes = Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray();
        var ticket = new Ticket
        {
            Number = Random.Shared.Next(100_000, 900_000), Subject = "Fire", RequesterId = requester.Id, MailboxId = _mailboxId, CreatedAt = now, UpdatedAt = now,
            Messages =
            [
                new TicketMessage
                {
                    From = "jane@customer.example", Subject = "Fire", BodyText = "The printer is on fire.", SentAt = now, CreatedAt = now,
                    Attachments = [new TicketAttachment { Name = "photo.jpg", ContentType = "image/jpeg", Size = bytes.Length, Content = bytes }],
                },
            ],
        };
        db.Add(ticket);
        await db.SaveChangesAsync();
        return new SeededTicket(ticket.Id, bytes);
    }

    private async Task<long> SeedEmailAsync(InboundStatus status, int? ticketId, DateTimeOffset? nextAttemptAt = null)
    {
        await using var db = await _database.Contexts.CreateDbContextAsync();
        var now = _clock.GetUtcNow();
        var mime = "From: jane@customer.example\r\nSubject: Fire\r\n\r\nThe printer is on fire.\r\n"u8.ToArray();
        var email = new InboundEmail
        {
            MailboxId = _mailboxId, DedupeKey = Guid.NewGuid().ToString("N"), Status = status, TicketId = ticketId, CreatedAt = now, UpdatedAt = now, RawMime = mime,
            NextAttemptAt = nextAttemptAt, Stage = status == InboundStatus.Pending ? InboundStage.Fetched : InboundStage.Done,
        };
        db.Add(email);
        await db.SaveChangesAsync();
        var request = InboundRequest.Open(_mailboxId, RequestKind.Scan, now, "Found by a scan.", email.Id).WithRaw(mime, "message/rfc822");
        if (status != InboundStatus.Pending)
        {
            request.Complete(RequestOutcome.Succeeded, now);
        }

        db.Add(request);
        await db.SaveChangesAsync();
        return email.Id;
    }

    private async Task<long> SeedRejectedAsync()
    {
        await using var db = await _database.Contexts.CreateDbContextAsync();
        var now = _clock.GetUtcNow();
        var request = InboundRequest.Open(_mailboxId, RequestKind.Webhook, now, "Rejected: the clientState does not match.", level: "Warning")
            .WithRaw("{\"value\":[]}"u8.ToArray());
        request.Complete(RequestOutcome.Rejected, now);
        db.Add(request);
        await db.SaveChangesAsync();
        return request.Id;
    }
}
