using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Tickets;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Ingestion;

/// <summary>A crash after any step of the pipeline loses nothing and never makes a second ticket.</summary>
public sealed class CrashRecoveryTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private readonly SandboxMail _mail = new(app);

    private sealed class SimulatedCrash(string stage) : Exception($"Simulated crash after {stage}.");

    private TestPipelineProbe Probe => app.Probe;

    private async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await query(db);
    }

    [Theory]
    [InlineData("discovered", InboundStage.Discovered)]
    [InlineData("fetched", InboundStage.Fetched)]
    [InlineData("decided", InboundStage.Decided)]
    [InlineData("side-effects", InboundStage.Done)]
    public async Task A_crash_after_each_stage_resumes_to_exactly_one_ticket(string stage, InboundStage expectedStageAtCrash)
    {
        var id = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("crash@customer.example", _mail.Demo.SharedMailbox, $"Crash after {stage}", "Please keep me.", id));
        Probe.AfterStage = async (name, emailId) =>
        {
            var ours = await QueryAsync(db => db.Set<InboundEmail>().AnyAsync(e => e.Id == emailId && e.InternetMessageId == id));
            if (name == stage && ours)
            {
                throw new SimulatedCrash(stage);
            }
        };
        try
        {
            await Assert.ThrowsAsync<SimulatedCrash>(() => _mail.ImportAsync());
        }
        finally
        {
            Probe.AfterStage = null;
        }

        var atCrash = await QueryAsync(db => db.Set<InboundEmail>().AsNoTracking().SingleAsync(e => e.InternetMessageId == id));
        Assert.Equal(expectedStageAtCrash, atCrash.Stage);

        await _mail.ImportAsync();
        await _mail.ImportAsync();

        var email = await QueryAsync(db => db.Set<InboundEmail>().AsNoTracking().SingleAsync(e => e.InternetMessageId == id));
        Assert.Equal(InboundStatus.Processed, email.Status);
        Assert.Equal(InboundStage.Done, email.Stage);
        var tickets = await QueryAsync(db => db.Set<TicketMessage>().Where(m => m.InternetMessageId == id).Select(m => m.TicketId).Distinct().ToListAsync());
        Assert.Single(tickets);
        var inbox = await _mail.Control.ListMessagesAsync(_mail.Demo.SharedMailbox, "inbox");
        Assert.DoesNotContain(inbox, m => m.InternetMessageId?.Contains(id) == true);
    }
}

/// <summary>A real restart: the process dies mid-pipeline; the next start's sweep finishes the work from the database alone.</summary>
public sealed class RestartRecoveryTests
{
    [Fact]
    public async Task Mail_fetched_before_a_restart_becomes_one_ticket_after_it_without_a_new_scan()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "haloportal-tests", Guid.NewGuid().ToString("N"));
        var id = SandboxMail.NewMessageId();
        try
        {
            await using (var first = new PortalAppFactory(dataDirectory))
            {
                var mail = new SandboxMail(first);
                await mail.DeliverAsync(SandboxMail.Mime("restart@customer.example", mail.Demo.SharedMailbox, "Survives a restart", "body", id));
                first.Probe.AfterStage = (name, _) =>
                    name == "fetched" ? throw new InvalidOperationException("The process dies here.") : Task.CompletedTask;
                await Assert.ThrowsAsync<InvalidOperationException>(() => mail.ImportAsync());
            }

            // The in-memory job store starts empty; only the database knows the email is unfinished.
            await using var second = new PortalAppFactory(dataDirectory);
            _ = second.BaseAddress; // start the host: the start-up sweep resumes pending mail
            var contexts = second.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            InboundEmail? email = null;
            while (DateTime.UtcNow < deadline)
            {
                await using var db = await contexts.CreateDbContextAsync();
                email = await db.Set<InboundEmail>().AsNoTracking().SingleAsync(e => e.InternetMessageId == id);
                if (email.Stage == InboundStage.Done)
                {
                    break;
                }

                await Task.Delay(100);
            }

            Assert.NotNull(email);
            Assert.Equal(InboundStatus.Processed, email.Status);
            await using var check = await contexts.CreateDbContextAsync();
            Assert.Equal(1, await check.Set<TicketMessage>().CountAsync(m => m.InternetMessageId == id));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TestProvider.Drop(dataDirectory);
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
