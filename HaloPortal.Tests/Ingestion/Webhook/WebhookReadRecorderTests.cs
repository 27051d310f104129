using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion.Sources.Webhook;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace HaloPortal.Tests.Ingestion.Webhook;

/// <summary>"Last webhook fetch" costs at most one UPDATE per credential every 30 seconds, across nodes, and never fails the email.</summary>
public sealed class WebhookReadRecorderTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_webhook_read_is_written_at_most_once_per_credential_every_30_seconds_by_any_node()
    {
        using var database = TestDatabase.Create();
        var credentialId = await CredentialAsync(database.Contexts);
        var clock = new FakeTimeProvider(Start);
        var node = new WebhookReadRecorder(database.Contexts, clock, NullLogger<WebhookReadRecorder>.Instance);
        var otherNode = new WebhookReadRecorder(database.Contexts, clock, NullLogger<WebhookReadRecorder>.Instance);

        await node.RecordAsync(credentialId, CancellationToken.None);
        Assert.Equal(Start, await LastReadAsync(database.Contexts, credentialId));

        // Within 30 seconds this node issues no UPDATE at all (a cleared value stays cleared)...
        clock.Advance(TimeSpan.FromSeconds(10));
        await SetLastReadAsync(database.Contexts, credentialId, null);
        await node.RecordAsync(credentialId, CancellationToken.None);
        Assert.Null(await LastReadAsync(database.Contexts, credentialId));
        await SetLastReadAsync(database.Contexts, credentialId, Start);

        // ...and another node's conditional UPDATE finds the value recent enough and leaves it.
        await otherNode.RecordAsync(credentialId, CancellationToken.None);
        Assert.Equal(Start, await LastReadAsync(database.Contexts, credentialId));

        clock.Advance(TimeSpan.FromSeconds(20));
        await node.RecordAsync(credentialId, CancellationToken.None);
        Assert.Equal(Start, await LastReadAsync(database.Contexts, credentialId));

        clock.Advance(TimeSpan.FromSeconds(1));
        await node.RecordAsync(credentialId, CancellationToken.None);
        Assert.Equal(Start.AddSeconds(31), await LastReadAsync(database.Contexts, credentialId));
    }

    [Fact]
    public async Task A_failure_to_write_the_webhook_read_is_ignored()
    {
        using var database = TestDatabase.Create();
        var credentialId = await CredentialAsync(database.Contexts);
        var recorder = new WebhookReadRecorder(new Unreachable(), new FakeTimeProvider(Start), NullLogger<WebhookReadRecorder>.Instance);

        await recorder.RecordAsync(credentialId, CancellationToken.None);
    }

    private static async Task<int> CredentialAsync(IDbContextFactory<PortalDbContext> contexts)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var mailbox = new Mailbox { Name = "Webhook reads", CreatedAt = Start };
        var credential = new MailboxCredential { TenantId = "contoso.example", ClientId = Guid.NewGuid().ToString(), EmailAddress = "support@contoso.example", CreatedAt = Start };
        mailbox.Credentials.Add(credential);
        db.Add(mailbox);
        await db.SaveChangesAsync();
        return credential.Id;
    }

    private static async Task<DateTimeOffset?> LastReadAsync(IDbContextFactory<PortalDbContext> contexts, int credentialId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        return await db.Set<MailboxCredential>().Where(c => c.Id == credentialId).Select(c => c.LastWebhookReadAt).SingleAsync();
    }

    private static async Task SetLastReadAsync(IDbContextFactory<PortalDbContext> contexts, int credentialId, DateTimeOffset? at)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await db.Set<MailboxCredential>().Where(c => c.Id == credentialId).ExecuteUpdateAsync(s => s.SetProperty(c => c.LastWebhookReadAt, at));
    }

    /// <summary>A database that cannot be opened (a SQLite file in a folder that does not exist).</summary>
    private sealed class Unreachable : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => new(new DbContextOptionsBuilder<PortalDbContext>()
            .UseSqlite($"Data Source={Path.Combine(Path.GetTempPath(), "haloportal-tests", "missing-" + Guid.NewGuid().ToString("N"), "portal.db")};Mode=ReadWrite")
            .Options);
    }
}
