using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Nodes;
using HaloPortal.Engine.Outbound;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HaloPortal.Tests.Nodes;

/// <summary>
/// Two engines (two service providers, as two portal nodes would be) on one SQLite file and one fake clock: leases, claims, the
/// start-up sweep and the Graph limits hold across them.
/// </summary>
public sealed class MultiNodeTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _database = TestDatabase.Create();
    private readonly FakeTimeProvider _clock = new(Start);

    public void Dispose() => _database.Dispose();

    private async Task<ServiceProvider> NodeAsync(string name, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?> { ["Portal:Node:Name"] = name };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var services = new ServiceCollection().AddTestEngine(_database, values);
        services.AddSingleton<TimeProvider>(_clock);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        await provider.StartEngineAsync();
        return provider;
    }

    /// <summary>A process that stopped beating: a node row last seen at <paramref name="lastSeen"/>.</summary>
    private async Task DeadNodeAsync(string instance, string name, DateTimeOffset lastSeen)
    {
        await using var db = await _database.Contexts.CreateDbContextAsync();
        db.Add(new PortalNode { InstanceId = instance, Name = name, StartedAt = lastSeen, LastSeenAt = lastSeen });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Two_nodes_racing_for_the_same_leases_get_exactly_one_each()
    {
        await using var a = await NodeAsync("node-a");
        await using var b = await NodeAsync("node-b");
        var leasesA = a.GetRequiredService<NodeLeases>();
        var leasesB = b.GetRequiredService<NodeLeases>();

        for (var i = 0; i < 20; i++)
        {
            var key = $"mailbox-{i}";
            var both = await Task.WhenAll(leasesA.TryAcquireAsync("test", key, default), leasesB.TryAcquireAsync("test", key, default));

            var winners = both.Where(h => h is not null).ToList();
            Assert.Single(winners);
            var holder = await leasesB.HolderAsync("test", key, default);
            Assert.Equal(both[0] is not null ? "node-a" : "node-b", holder);
            await winners[0]!.DisposeAsync();
            Assert.Null(await leasesA.HolderAsync("test", key, default));
        }
    }

    [Fact]
    public async Task A_lease_held_by_a_live_node_is_refused_and_taken_over_once_it_expires()
    {
        await DeadNodeAsync("crashed", "node-x", Start);
        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            db.Add(new NodeLease { Kind = "mailbox-scan", Key = "7", HolderInstance = "crashed", HolderNode = "node-x", AcquiredAt = Start, ExpiresAt = Start.AddSeconds(60) });
            await db.SaveChangesAsync();
        }

        await using var b = await NodeAsync("node-b");
        var leases = b.GetRequiredService<NodeLeases>();
        Assert.Null(await leases.TryAcquireAsync("mailbox-scan", "7", default));
        Assert.Equal("node-x", await leases.HolderAsync("mailbox-scan", "7", default));

        _clock.Advance(TimeSpan.FromSeconds(30)); // node-x is still alive by its heartbeat, its lease not yet expired
        Assert.Null(await leases.TryAcquireAsync("mailbox-scan", "7", default));

        _clock.Advance(TimeSpan.FromSeconds(31)); // 61 s: the lease expired without renewal
        await b.GetRequiredService<NodeRegistry>().BeatAsync(default); // node-b's heartbeat (its hosted loop does not run here)
        await using var taken = await leases.TryAcquireAsync("mailbox-scan", "7", default);
        Assert.NotNull(taken);
        Assert.Equal("node-b", await leases.HolderAsync("mailbox-scan", "7", default));
    }

    [Fact]
    public async Task A_lease_of_a_node_that_stopped_beating_is_taken_before_it_expires()
    {
        await DeadNodeAsync("crashed", "node-x", Start.AddSeconds(-50)); // last heartbeat 50 s ago: dead (alive = 45 s)
        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            db.Add(new NodeLease { Kind = "mailbox-scan", Key = "7", HolderInstance = "crashed", HolderNode = "node-x", AcquiredAt = Start, ExpiresAt = Start.AddSeconds(55) });
            await db.SaveChangesAsync();
        }

        await using var b = await NodeAsync("node-b");

        await using var taken = await b.GetRequiredService<NodeLeases>().TryAcquireAsync("mailbox-scan", "7", default);
        Assert.NotNull(taken);
    }

    [Fact]
    public async Task Two_nodes_claiming_the_same_emails_get_each_email_exactly_once()
    {
        await using var a = await NodeAsync("node-a");
        await using var b = await NodeAsync("node-b");
        var mailbox = (await a.GetRequiredService<IMailboxes>().CreateAsync("Support", MailboxConnectionType.Office365Azure, Actor.User("admin@example.com"))).Id;
        List<long> ids;
        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            var emails = Enumerable.Range(0, 50).Select(i => new InboundEmail
            {
                MailboxId = mailbox, DedupeKey = $"graph:m{i}", GraphMessageId = $"m{i}", FoundBy = RequestKind.Webhook, CreatedAt = Start, UpdatedAt = Start,
            }).ToList();
            db.AddRange(emails);
            await db.SaveChangesAsync();
            ids = emails.Select(e => e.Id).ToList();
        }

        // Each node asks for all 50 in overlapping halves, at the same time.
        var processorA = a.GetRequiredService<InboundProcessor>();
        var processorB = b.GetRequiredService<InboundProcessor>();
        var claims = await Task.WhenAll(processorA.ClaimAsync(ids[..30], default), processorB.ClaimAsync(ids[20..], default));

        Assert.Empty(claims[0].Intersect(claims[1]));
        Assert.Equal(ids.Order(), claims[0].Union(claims[1]).Order());
        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            var nodes = await db.Set<InboundEmail>().Where(e => ids.Contains(e.Id)).ToDictionaryAsync(e => e.Id, e => e.Node);
            Assert.All(claims[0], id => Assert.Equal("node-a", nodes[id]));
            Assert.All(claims[1], id => Assert.Equal("node-b", nodes[id]));
        }

        // A live node's claims are not taken, until they expire.
        Assert.Empty(await processorB.ClaimAsync(claims[0].ToList(), default));
        _clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(claims[0].Order(), (await processorB.ClaimAsync(claims[0].ToList(), default)).Order());
    }

    [Fact]
    public async Task Two_nodes_sending_the_same_outbound_message_send_it_once()
    {
        await using var a = await NodeAsync("node-a");
        await using var b = await NodeAsync("node-b");
        long id;
        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            var message = new OutboundMessage
            {
                Kind = OutboundKind.Notification, To = "agent@example.com", Subject = "Mailbox failing", BodyHtml = "<p>x</p>",
                InternetMessageId = "n1@test.haloportal", CreatedAt = Start,
            };
            db.Add(message);
            await db.SaveChangesAsync();
            id = message.Id;
        }

        await Task.WhenAll(a.GetRequiredService<OutboundSender>().SendOneAsync(id, default), b.GetRequiredService<OutboundSender>().SendOneAsync(id, default));

        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            var message = await db.Set<OutboundMessage>().SingleAsync(m => m.Id == id);
            Assert.Equal(1, message.Attempts); // one node tried (no mailbox can send it here), the other left it alone
            Assert.Contains(message.Node, new[] { "node-a", "node-b" });
            Assert.Null(message.ClaimedBy);
        }
    }

    [Fact]
    public async Task A_message_left_Sending_is_taken_over_only_once_its_node_is_dead()
    {
        await using var b = await NodeAsync("node-b");
        await DeadNodeAsync("other", "node-x", Start);
        long id;
        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            var message = new OutboundMessage
            {
                Kind = OutboundKind.Notification, Status = OutboundStatus.Sending, To = "agent@example.com", Subject = "s", BodyHtml = "b",
                InternetMessageId = "n2@test.haloportal", CreatedAt = Start, ClaimedBy = "other", ClaimExpiresAt = Start.AddMinutes(10), Node = "node-x",
            };
            db.Add(message);
            await db.SaveChangesAsync();
            id = message.Id;
        }

        var sender = b.GetRequiredService<OutboundSender>();
        Assert.Equal(0, await sender.RecoverAsync(default)); // node-x is alive and sending it

        _clock.Advance(TimeSpan.FromSeconds(46)); // node-x has not beaten for 46 s: dead
        Assert.Equal(1, await sender.RecoverAsync(default));
        await using var check = await _database.Contexts.CreateDbContextAsync();
        Assert.Equal(OutboundStatus.Queued, (await check.Set<OutboundMessage>().SingleAsync(m => m.Id == id)).Status);
    }

    [Fact]
    public async Task The_start_up_sweep_leaves_a_live_nodes_running_import_alone_and_interrupts_a_dead_nodes()
    {
        await using var b = await NodeAsync("node-b");
        var mailbox = (await b.GetRequiredService<IMailboxes>().CreateAsync("Support", MailboxConnectionType.Office365Azure, Actor.User("admin@example.com"))).Id;
        var live = (await b.GetRequiredService<IImportRuns>().StartAsync(mailbox, ImportRunTrigger.Screen, Actor.User("admin@example.com"))).Id;
        await DeadNodeAsync("crashed", "node-x", Start.AddMinutes(-5));
        long dead;
        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            var run = new ImportRun { MailboxId = mailbox, StartedBy = "admin", StartedAt = Start.AddMinutes(-6), Status = ImportRunStatus.Running, Node = "node-x", NodeInstance = "crashed" };
            db.Add(run);
            await db.SaveChangesAsync();
            dead = run.Id;
        }

        _clock.Advance(TimeSpan.FromSeconds(5));
        await using var a = await NodeAsync("node-a"); // its start-up sweep runs now

        var runs = a.GetRequiredService<IImportRuns>();
        var stillRunning = await runs.GetAsync(mailbox, live);
        Assert.Equal(ImportRunStatus.Running, stillRunning!.Status);
        Assert.Equal("node-b", stillRunning.Node);
        var interrupted = await runs.GetAsync(mailbox, dead);
        Assert.Equal(ImportRunStatus.Interrupted, interrupted!.Status);
        Assert.Equal(Start.AddSeconds(5), interrupted.FinishedAt);
    }

    [Fact]
    public async Task A_restarted_node_sweeps_its_own_previous_process_at_once()
    {
        int mailbox;
        long run;
        await using (var before = await NodeAsync("node-a"))
        {
            mailbox = (await before.GetRequiredService<IMailboxes>().CreateAsync("Support", MailboxConnectionType.Office365Azure, Actor.User("admin@example.com"))).Id;
            run = (await before.GetRequiredService<IImportRuns>().StartAsync(mailbox, ImportRunTrigger.Api, Actor.ApiKey("ops"))).Id;
        }

        _clock.Advance(TimeSpan.FromSeconds(3)); // its last heartbeat is 3 s old, but a node of the same name started again
        await using var after = await NodeAsync("node-a");

        Assert.Equal(ImportRunStatus.Interrupted, (await after.GetRequiredService<IImportRuns>().GetAsync(mailbox, run))!.Status);
    }

    [Fact]
    public async Task The_Graph_limits_of_a_mailbox_are_split_between_the_live_nodes()
    {
        var limits = new Dictionary<string, string?> { ["Portal:Graph:RequestsPerWindow"] = "10", ["Portal:Graph:WindowSeconds"] = "60" };
        await using var a = await NodeAsync("node-a", limits);
        var slots = a.GetRequiredService<MailboxConcurrencyLimiter>().For("app|support@contoso.sandbox");
        Assert.Equal(4, slots.Concurrency.Limit);
        Assert.Equal(9, slots.Budget.Allowance); // 98% of 10

        await using var b = await NodeAsync("node-b", limits);
        await a.GetRequiredService<NodeRegistry>().BeatAsync(default);
        Assert.Equal(2, a.GetRequiredService<IPortalNodes>().LiveNodes);
        Assert.Equal(2, slots.Concurrency.Limit);
        Assert.Equal(4, slots.Budget.Allowance);

        // Node a's share of the budget: 4 requests now, the 5th once the first leave the window.
        await slots.Budget.AcquireAsync(4, default);
        var fifth = slots.Budget.AcquireAsync(1, default);
        Assert.False(fifth.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(61));
        await fifth.WaitAsync(TimeSpan.FromSeconds(10));

        // Node a's share of the concurrency: 2 in flight, the 3rd waits for a slot.
        await slots.Concurrency.WaitAsync(default);
        await slots.Concurrency.WaitAsync(default);
        var third = slots.Concurrency.WaitAsync(default);
        Assert.False(third.IsCompleted);
        slots.Concurrency.Release();
        await third.WaitAsync(TimeSpan.FromSeconds(10));

        // Node b stops beating: after the alive window node a has the whole mailbox again.
        _clock.Advance(TimeSpan.FromSeconds(46));
        await a.GetRequiredService<NodeRegistry>().BeatAsync(default);
        Assert.Equal(1, a.GetRequiredService<IPortalNodes>().LiveNodes);
        Assert.Equal(4, slots.Concurrency.Limit);
        Assert.Equal(9, slots.Budget.Allowance);
    }
}
