using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HaloPortal.Tests.Ingestion;

/// <summary>A portal that stops during an import leaves its run Running; the next start marks it Interrupted.</summary>
public sealed class ImportRunSweepTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_run_left_Running_by_a_stopped_portal_is_Interrupted_at_the_next_start_and_finished_runs_are_untouched()
    {
        using var database = TestDatabase.Create();
        var clock = new FakeTimeProvider(Start);
        long running;
        long finished;
        int mailbox;
        await using (var before = await TestEngine.StartAsync(database, s => s.AddSingleton<TimeProvider>(clock)))
        {
            mailbox = (await before.GetRequiredService<IMailboxes>().CreateAsync("Support", MailboxConnectionType.Office365Azure, Actor.User("admin@example.com"))).Id;
            var runs = before.GetRequiredService<IImportRuns>();
            finished = (await runs.StartAsync(mailbox, ImportRunTrigger.Screen, Actor.User("admin@example.com"))).Id;
            await runs.FinishAsync(finished, new ScanReport(2, 1, 1, 0, 0, 0, null));
            running = (await runs.StartAsync(mailbox, ImportRunTrigger.Api, Actor.ApiKey("ops"), new BacklogImport(Start.AddDays(-3), 50))).Id;
        }

        clock.Advance(TimeSpan.FromMinutes(7));
        await using var after = await TestEngine.StartAsync(database, s => s.AddSingleton<TimeProvider>(clock));

        var service = after.GetRequiredService<IImportRuns>();
        var interrupted = await service.GetAsync(mailbox, running);
        Assert.Equal(ImportRunStatus.Interrupted, interrupted!.Status);
        Assert.Equal(Start.AddMinutes(7), interrupted.FinishedAt);
        Assert.Equal(new BacklogImport(Start.AddDays(-3), 50), interrupted.Backlog);
        Assert.Equal("API key 'ops'", interrupted.StartedBy);
        var done = await service.GetAsync(mailbox, finished);
        Assert.Equal(ImportRunStatus.Finished, done!.Status);
        Assert.Equal(Start, done.FinishedAt);
        Assert.Equal([running, finished], (await service.ListAsync(mailbox)).Select(r => r.Id));
    }
}
