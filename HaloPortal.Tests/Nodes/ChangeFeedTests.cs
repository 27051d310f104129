using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.BackendServices;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Nodes;
using HaloPortal.Engine.Notifications;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace HaloPortal.Tests.Nodes;

/// <summary>
/// The change feed: what one node changes raises the same event on the other nodes (two engines on one SQLite file, one fake
/// clock; the background loops do not run, the tests flush and poll explicitly).
/// </summary>
public sealed class ChangeFeedTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _database = TestDatabase.Create();
    private readonly FakeTimeProvider _clock = new(Start);

    public void Dispose() => _database.Dispose();

    private async Task<ServiceProvider> NodeAsync(string name)
    {
        var services = new ServiceCollection().AddTestEngine(_database, new Dictionary<string, string?> { ["Portal:Node:Name"] = name });
        services.AddSingleton<TimeProvider>(_clock);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        await provider.StartEngineAsync();
        return provider;
    }

    /// <summary>What the feed's background loops do: each node writes what it published, then each reads what the others wrote.</summary>
    private static async Task<int[]> ExchangeAsync(params ServiceProvider[] nodes)
    {
        foreach (var node in nodes)
        {
            await node.GetRequiredService<ChangeFeed>().FlushAsync(default);
        }

        var raised = new int[nodes.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            raised[i] = await nodes[i].GetRequiredService<ChangeFeedPoller>().PollAsync(default);
        }

        return raised;
    }

    private async Task<int> CreateMailboxAsync(ServiceProvider node, string name) =>
        (await node.GetRequiredService<IMailboxes>().CreateAsync(name, MailboxConnectionType.Office365Azure, Actor.User("admin@example.com"))).Id;

    [Fact]
    public async Task A_mailbox_renamed_on_node_A_raises_Changed_on_node_B_once()
    {
        await using var a = await NodeAsync("node-a");
        await using var b = await NodeAsync("node-b");
        var mailbox = await CreateMailboxAsync(a, "Support");
        await ExchangeAsync(a, b);
        var seenOnB = new List<int>();
        b.GetRequiredService<IMailboxes>().Changed += seenOnB.Add;

        // A burst of changes to one mailbox is one row and one event elsewhere.
        await a.GetRequiredService<IMailboxes>().RenameAsync(mailbox, "Helpdesk", Actor.User("admin@example.com"));
        await a.GetRequiredService<IMailboxes>().RenameAsync(mailbox, "Service desk", Actor.User("admin@example.com"));
        Assert.Empty(seenOnB);
        Assert.Equal(1, await a.GetRequiredService<ChangeFeed>().FlushAsync(default));
        await b.GetRequiredService<ChangeFeedPoller>().PollAsync(default);

        Assert.Equal([mailbox], seenOnB);
        Assert.Equal("Service desk", (await b.GetRequiredService<IMailboxes>().GetAsync(mailbox))!.Name);
    }

    [Fact]
    public async Task The_background_loops_carry_a_change_to_the_other_node()
    {
        await using var a = await NodeAsync("node-a");
        await using var b = await NodeAsync("node-b");
        var mailbox = await CreateMailboxAsync(a, "Support");
        await ExchangeAsync(a, b);
        var seenOnB = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.GetRequiredService<IMailboxes>().Changed += id => seenOnB.TrySetResult(id);
        IHostedService[] loops = [a.GetRequiredService<ChangeFeed>(), b.GetRequiredService<ChangeFeedPoller>()];
        foreach (var loop in loops)
        {
            await loop.StartAsync(default);
        }

        await a.GetRequiredService<IMailboxes>().RenameAsync(mailbox, "Helpdesk", Actor.User("admin@example.com"));

        // The fake clock drives the writer's 200 ms window and the poller's 1 s period; the deadline is real time.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!seenOnB.Task.IsCompleted && DateTime.UtcNow < deadline)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(200));
            await Task.WhenAny(seenOnB.Task, Task.Delay(20));
        }

        foreach (var loop in loops)
        {
            await loop.StopAsync(default);
        }

        Assert.True(seenOnB.Task.IsCompleted, "Node B did not hear of the rename within 20 s.");
        Assert.Equal(mailbox, await seenOnB.Task);
    }

    [Fact]
    public async Task A_node_does_not_raise_its_own_changes_again()
    {
        await using var a = await NodeAsync("node-a");
        await using var b = await NodeAsync("node-b");
        await ExchangeAsync(a, b); // what the start-ups published
        var seenOnA = new List<int>();
        var seenOnB = new List<int>();
        a.GetRequiredService<IMailboxes>().Changed += seenOnA.Add;
        b.GetRequiredService<IMailboxes>().Changed += seenOnB.Add;

        var mailbox = await CreateMailboxAsync(b, "Sales");
        var raised = await ExchangeAsync(a, b);

        Assert.Equal([mailbox], seenOnB); // raised once, by the change itself, not again by the feed
        Assert.Equal([mailbox], seenOnA);
        Assert.Equal([1, 0], raised);
        var again = await ExchangeAsync(a, b);
        Assert.Equal([0, 0], again); // and nothing echoes back
    }

    [Fact]
    public async Task An_import_run_started_and_finished_on_node_A_refreshes_node_B()
    {
        await using var a = await NodeAsync("node-a");
        await using var b = await NodeAsync("node-b");
        var mailbox = await CreateMailboxAsync(a, "Support");
        await ExchangeAsync(a, b);
        var seenOnB = new List<int>();
        b.GetRequiredService<IImportRuns>().Changed += seenOnB.Add;
        var runs = a.GetRequiredService<IImportRuns>();

        var run = await runs.StartAsync(mailbox, ImportRunTrigger.Screen, Actor.User("admin@example.com"));
        await ExchangeAsync(a, b);
        Assert.Equal([mailbox], seenOnB);

        await runs.FinishAsync(run.Id, new ScanReport(3, 2, 1, 0, 0, 0, null));
        await ExchangeAsync(a, b);

        Assert.Equal([mailbox, mailbox], seenOnB);
        Assert.Equal(ImportRunStatus.Finished, (await b.GetRequiredService<IImportRuns>().GetAsync(mailbox, run.Id))!.Status);
    }

    [Fact]
    public async Task A_notification_raised_on_node_A_updates_the_agents_bell_on_node_B()
    {
        await using var a = await NodeAsync("node-a");
        await using var b = await NodeAsync("node-b");
        var agent = await a.GetRequiredService<IAgents>().CreateAsync(new NewAgent("Feed Agent", "feed@example.com", "Agent-Password-1", [PortalRoles.Agent]), Actor.System);
        var notifications = a.GetRequiredService<INotifications>();
        await notifications.SetPreferencesAsync(agent.Id, new NotificationPreferences(EmailProcessingErrors: true, IntegrationErrors: false), Actor.System);
        await ExchangeAsync(a, b);
        var seenOnB = new List<string>();
        b.GetRequiredService<INotificationEvents>().Changed += ids => seenOnB.AddRange(ids);

        await notifications.RaiseAsync(new ProblemReport(ProblemKeys.Credential(7), NotificationCategory.EmailProcessing, "Mailbox 'Sales' cannot be read", "Access denied."));
        await ExchangeAsync(a, b);

        Assert.Equal([agent.Id], seenOnB);
        Assert.Equal(1, await b.GetRequiredService<INotifications>().UnreadCountAsync(agent.Id));
    }

    [Fact]
    public async Task Outbound_changes_and_backend_switches_arrive_whole_on_node_B()
    {
        await using var a = await NodeAsync("node-a");
        await using var b = await NodeAsync("node-b");
        await ExchangeAsync(a, b);
        var outboundOnB = new List<OutboundChange>();
        var servicesOnB = new List<BackendServiceState>();
        b.GetRequiredService<IOutboundEvents>().Changed += outboundOnB.Add;
        b.GetRequiredService<IBackendServices>().Changed += servicesOnB.Add;

        var events = a.GetRequiredService<OutboundEvents>();
        events.Raise(new OutboundChange(41, 7, OutboundStatus.Sending));
        events.Raise(new OutboundChange(41, 7, OutboundStatus.Sent));
        events.Raise(new OutboundChange(42, null, OutboundStatus.Failed));
        await a.GetRequiredService<IBackendServices>().UpdateAsync(new BackendServiceState(IncomingServiceEnabled: false, SchedulingServiceEnabled: true), Actor.User("admin@example.com"));
        await ExchangeAsync(a, b);

        OutboundChange[] expected = [new(41, 7, OutboundStatus.Sending), new(41, 7, OutboundStatus.Sent), new(42, null, OutboundStatus.Failed)];
        Assert.Equal(expected, outboundOnB);
        Assert.Equal(new BackendServiceState(IncomingServiceEnabled: false, SchedulingServiceEnabled: true), Assert.Single(servicesOnB));
    }

    [Fact]
    public async Task A_node_starts_reading_at_the_newest_change()
    {
        await using var a = await NodeAsync("node-a");
        await CreateMailboxAsync(a, "Before B");
        await a.GetRequiredService<ChangeFeed>().FlushAsync(default);

        await using var b = await NodeAsync("node-b");
        var seenOnB = new List<int>();
        b.GetRequiredService<IMailboxes>().Changed += seenOnB.Add;

        Assert.Equal(0, await b.GetRequiredService<ChangeFeedPoller>().PollAsync(default));
        Assert.Empty(seenOnB);
    }

    [Fact]
    public async Task A_change_committed_below_the_last_id_seen_is_still_read_until_the_hole_is_given_up()
    {
        await using var b = await NodeAsync("node-b");
        var seenOnB = new List<int>();
        b.GetRequiredService<IMailboxes>().Changed += seenOnB.Add;
        var poller = b.GetRequiredService<ChangeFeedPoller>();
        var last = poller.Last;

        // On PostgreSQL ids are handed out in insert order but committed in any order: 2 commits before 1, 4 long before 3.
        await InsertAsync(last + 2, "2");
        await poller.PollAsync(default);
        await InsertAsync(last + 1, "1");
        await poller.PollAsync(default);
        await InsertAsync(last + 4, "4");
        await poller.PollAsync(default);
        _clock.Advance(ChangeFeedPoller.GapWait);
        await InsertAsync(last + 3, "3"); // too late: the hole was given up (as for an insert rolled back)
        await poller.PollAsync(default);

        Assert.Equal([2, 1, 4], seenOnB);
    }

    private async Task InsertAsync(long id, string key)
    {
        await using var db = await _database.Contexts.CreateDbContextAsync();
        db.Add(new ChangeEvent { Id = id, Topic = "mailboxes", Key = key, Instance = "other-node", At = _clock.GetUtcNow() });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Changes_older_than_the_retention_are_purged_in_batches()
    {
        await using var a = await NodeAsync("node-a");
        await a.GetRequiredService<ChangeFeed>().FlushAsync(default); // whatever the start-up published, at Start too
        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            db.AddRange(Enumerable.Range(0, ChangeFeedPoller.PurgeBatch + 200)
                .Select(i => new ChangeEvent { Topic = "mailboxes", Key = $"{i}", Instance = "old-node", At = Start }));
            await db.SaveChangesAsync();
        }

        int old;
        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            old = await db.Set<ChangeEvent>().CountAsync();
        }

        _clock.Advance(ChangeFeedPoller.Retention - TimeSpan.FromSeconds(1));
        var recent = await CreateMailboxAsync(a, "Recent");
        await a.GetRequiredService<ChangeFeed>().FlushAsync(default);
        var poller = a.GetRequiredService<ChangeFeedPoller>();
        Assert.Equal(0, await poller.PurgeAsync(default));

        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(old > ChangeFeedPoller.PurgeBatch, "The purge needs more than one batch here.");
        Assert.Equal(old, await poller.PurgeAsync(default));

        await using (var db = await _database.Contexts.CreateDbContextAsync())
        {
            var left = await db.Set<ChangeEvent>().ToListAsync();
            Assert.Equal($"{recent}", Assert.Single(left).Key);
        }
    }
}
