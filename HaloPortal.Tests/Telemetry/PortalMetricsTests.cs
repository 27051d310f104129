using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Monitoring;
using HaloPortal.Engine.Telemetry;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;
using HaloPortal.Tests.Subscriptions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Telemetry;

/// <summary>A portal whose database gauges read again every second (the default keeps a reading for 5 s).</summary>
public sealed class MetricsPortalFactory : PortalAppFactory
{
    public MetricsPortalFactory() => Settings["Portal:Metrics:GaugeCacheSeconds"] = "1";
}

/// <summary>Real mail through the sandbox and the real pipeline, read back from the portal's own meter.</summary>
public sealed class PortalMetricsTests(MetricsPortalFactory app) : IClassFixture<MetricsPortalFactory>
{
    private const string DemoMailboxName = "Support (sandbox)";

    private static readonly (string, object)[] Demo = [("mailbox.id", SandboxMail.DemoMailboxId), ("mailbox.name", DemoMailboxName)];

    private readonly SandboxMail _mail = new(app);

    private MeterReader NewReader() => new(app.Services.GetRequiredService<PortalTelemetry>().Meter);

    /// <summary>A reader that starts after an import took whatever earlier tests (or the demo seeding) left in the mailbox.</summary>
    private async Task<MeterReader> DrainedReaderAsync()
    {
        Assert.Null((await _mail.ImportAsync()).Error);
        return NewReader();
    }

    [Fact]
    public async Task Imported_mail_is_counted_per_mailbox_as_discovered_processed_and_ignored_with_its_delivery_to_ticket_time()
    {
        using var reader = await DrainedReaderAsync();
        await _mail.DeliverAsync(SandboxMail.Mime("ana@customer.example", _mail.Demo.SharedMailbox, "Metrics: printer jam", "Tray 2.", SandboxMail.NewMessageId()));
        await _mail.DeliverAsync(SandboxMail.Mime("ben@customer.example", _mail.Demo.SharedMailbox, "Metrics: VPN drops", "Every hour.", SandboxMail.NewMessageId()));
        await _mail.DeliverAsync(SandboxMail.Mime("away@customer.example", _mail.Demo.SharedMailbox, "Automatic reply: Metrics", "Out of office.", SandboxMail.NewMessageId(),
            extraHeaders: "Auto-Submitted: auto-replied"));

        var report = await _mail.ImportAsync();

        Assert.Null(report.Error);
        Assert.Equal(3, reader.Sum("haloportal.emails.discovered", [.. Demo, ("source", "manual_import")]));
        Assert.Equal(2, reader.Sum("haloportal.emails.processed", Demo));
        Assert.Equal(1, reader.Sum("haloportal.emails.ignored", Demo));
        Assert.Empty(reader.Of("haloportal.emails.failed"));
        // Found by a scan, so Graph's receivedDateTime is the start; the sandbox stamps it at delivery, seconds ago at most.
        var latencies = reader.Of("haloportal.email.delivery_to_ticket.duration", [.. Demo, ("delivery.time", "received")]);
        Assert.Equal(2, latencies.Count);
        Assert.All(latencies, l => Assert.InRange(l.Value, 0, 60));
        Assert.True(reader.Sum("haloportal.graph.requests", [.. Demo, ("http.response.status_code", 200)]) >= 2, "the delta query and the raw reads are counted");
    }

    [Fact]
    public async Task A_failed_email_is_counted_with_its_error_code()
    {
        var mailboxes = app.Services.GetRequiredService<IMailboxes>();
        var incoming = (await mailboxes.GetAsync(SandboxMail.DemoMailboxId))!.Incoming;
        using var reader = await DrainedReaderAsync();
        await mailboxes.UpdateIncomingAsync(SandboxMail.DemoMailboxId, incoming with { MaxEmailSizeMb = 1 }, Actor.System);
        try
        {
            await _mail.DeliverAsync(SandboxMail.Mime("scanner@customer.example", _mail.Demo.SharedMailbox, "Metrics: scanned contract", new string('x', 1_300_000), SandboxMail.NewMessageId()));
            await _mail.ImportAsync();
        }
        finally
        {
            await mailboxes.UpdateIncomingAsync(SandboxMail.DemoMailboxId, incoming, Actor.System);
        }

        Assert.Equal(1, reader.Sum("haloportal.emails.failed", [.. Demo, ("error.code", "TooLarge")]));
        Assert.Equal(0, reader.Sum("haloportal.emails.processed", Demo));
    }

    [Fact]
    public async Task Graph_throttling_is_counted_and_the_mailbox_shows_its_retry_after()
    {
        using var reader = await DrainedReaderAsync();
        await _mail.Control.AddFaultAsync(new SandboxFaultRequest(_mail.Demo.SharedMailbox, SandboxFaultKind.Throttle, Count: 1, RetryAfterSeconds: 3));
        try
        {
            await _mail.DeliverAsync(SandboxMail.Mime("cho@customer.example", _mail.Demo.SharedMailbox, "Metrics: throttled", "Slowly.", SandboxMail.NewMessageId()));
            await _mail.ImportAsync();
        }
        finally
        {
            await _mail.Control.ClearFaultsAsync();
        }

        Assert.Equal(1, reader.Sum("haloportal.graph.throttled", Demo));
        Assert.Equal(1, reader.Sum("haloportal.graph.requests", [.. Demo, ("http.response.status_code", 429)]));
        // The gauge counts down from the 3 s Graph asked for, to 0 once they have passed (the import waited them out).
        var retryAfter = reader.Observe("haloportal.graph.retry_after", Demo);
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, 0, 3);
    }

    [Fact]
    public async Task Graph_throttling_is_stored_on_the_credential_and_the_mailbox_shows_it_whichever_node_saw_it()
    {
        var contexts = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var health = app.Services.GetRequiredService<IMailboxHealth>();
        Assert.Null((await _mail.ImportAsync()).Error);
        await _mail.Control.AddFaultAsync(new SandboxFaultRequest(_mail.Demo.SharedMailbox, SandboxFaultKind.Throttle, Count: 1, RetryAfterSeconds: 3));
        var before = DateTimeOffset.UtcNow;
        try
        {
            await _mail.DeliverAsync(SandboxMail.Mime("dee@customer.example", _mail.Demo.SharedMailbox, "Metrics: throttled, stored", "Slowly.", SandboxMail.NewMessageId()));
            await _mail.ImportAsync();
        }
        finally
        {
            await _mail.Control.ClearFaultsAsync();
        }

        var after = DateTimeOffset.UtcNow;
        await using var db = await contexts.CreateDbContextAsync();
        var credential = await db.Set<MailboxCredential>().AsNoTracking().SingleAsync(c => c.MailboxId == SandboxMail.DemoMailboxId);
        Assert.NotNull(credential.ThrottledUntil);
        Assert.InRange(credential.ThrottledUntil.Value, before.AddSeconds(3), after.AddSeconds(3));

        // Another node's later 429 is only in the database: this node's memory has passed its own 3 s, yet the mailbox shows it.
        var elsewhere = new DateTimeOffset(after.AddHours(1).UtcTicks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero);
        await db.Set<MailboxCredential>().Where(c => c.Id == credential.Id).ExecuteUpdateAsync(u => u.SetProperty(c => c.ThrottledUntil, elsewhere));
        try
        {
            Assert.Equal(elsewhere, (await health.GetAsync(SandboxMail.DemoMailboxId))!.ThrottledUntil);
        }
        finally
        {
            await db.Set<MailboxCredential>().Where(c => c.Id == credential.Id).ExecuteUpdateAsync(u => u.SetProperty(c => c.ThrottledUntil, (DateTimeOffset?)null));
        }
    }

    [Fact]
    public async Task Each_credential_reports_the_days_until_its_secret_expires()
    {
        using var reader = NewReader();
        var contexts = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        var credential = await db.Set<MailboxCredential>().AsNoTracking().SingleAsync(c => c.MailboxId == SandboxMail.DemoMailboxId);
        Assert.NotNull(credential.SecretExpiresAt);

        var expiry = reader.Observe("haloportal.credential.expiry", ("credential.id", credential.Id), ("credential.type", "client_secret"), ("mailbox.name", DemoMailboxName));

        Assert.NotNull(expiry);
        Assert.Equal((credential.SecretExpiresAt.Value - DateTimeOffset.UtcNow).TotalDays, expiry.Value, 0.1);
    }

    [Fact]
    public async Task The_queue_depths_read_what_waits_in_the_database()
    {
        using var reader = NewReader();
        var contexts = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var now = DateTimeOffset.UtcNow;
        // An email waiting for a retry an hour away, and an outgoing email waiting for its second attempt: nothing touches them meanwhile.
        var email = new InboundEmail
        {
            MailboxId = SandboxMail.DemoMailboxId, DedupeKey = SandboxMail.NewMessageId(), GraphMessageId = "metrics-waiting", FoundBy = RequestKind.Scan,
            Stage = InboundStage.Fetched, NextAttemptAt = now.AddHours(1), CreatedAt = now, UpdatedAt = now,
        };
        var outgoing = new HaloPortal.Engine.Outbound.OutboundMessage
        {
            Kind = HaloPortal.Engine.Outbound.OutboundKind.Notification, To = "agent@example.com", Subject = "Metrics: waiting", BodyHtml = "<p>later</p>",
            InternetMessageId = SandboxMail.NewMessageId("portal.example"), Attempts = 1, NextAttemptAt = now.AddHours(1), CreatedAt = now,
        };
        await using (var db = await contexts.CreateDbContextAsync())
        {
            db.AddRange(email, outgoing);
            await db.SaveChangesAsync();
        }

        try
        {
            await WebhookKit.WaitAsync(() => Task.FromResult(
                    reader.Observe("haloportal.pipeline.queue_depth", [.. Demo, ("stage", "Fetched")])?.Value >= 1
                    && reader.Observe("haloportal.outbound.queue_depth", ("state", "retrying"))?.Value >= 1),
                TimeSpan.FromSeconds(10), "the gauges show the waiting email and the waiting reply");
        }
        finally
        {
            await using var db = await contexts.CreateDbContextAsync();
            db.RemoveRange(email, outgoing);
            await db.SaveChangesAsync();
        }

        await WebhookKit.WaitAsync(() => Task.FromResult(
                reader.Observe("haloportal.outbound.queue_depth", ("state", "retrying"))?.Value == 0),
            TimeSpan.FromSeconds(10), "the outbound gauge reads 0 once the reply is gone");
    }
}
