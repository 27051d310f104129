using System.Collections.Concurrent;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Tickets;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Ingestion;

/// <summary>A portal that records every request its sandbox Graph endpoint receives (method and path), in order.</summary>
public sealed class GraphRecordingPortalFactory : PortalAppFactory
{
    public GraphRecordingPortalFactory()
    {
        ConfigureTestServices = services => services.AddSingleton<IStartupFilter>(new Recorder(this));
    }

    public ConcurrentQueue<string> GraphRequests { get; } = new();

    /// <summary>Requests (as recorded) that never reach the sandbox: answered 400 ErrorInvalidRequest, as a refusing Graph would.</summary>
    public Func<string, bool>? Refuse { get; set; }

    /// <summary>Requests (as recorded) the sandbox carries out but whose answer is lost: the caller gets a 500 instead.</summary>
    public Func<string, bool>? LoseAnswer { get; set; }

    private sealed class Recorder(GraphRecordingPortalFactory factory) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (http, proceed) =>
            {
                if (!http.Request.Path.StartsWithSegments(SandboxHosts.GraphPathPrefix))
                {
                    await proceed();
                    return;
                }

                var seen = $"{http.Request.Method} {Uri.UnescapeDataString(http.Request.Path.Value!)}{http.Request.QueryString}";
                factory.GraphRequests.Enqueue(seen);
                if (factory.Refuse?.Invoke(seen) == true)
                {
                    http.Response.StatusCode = 400;
                    await http.Response.WriteAsJsonAsync(new { error = new { code = "ErrorInvalidRequest", message = "Refused by the test." } });
                    return;
                }

                var lose = factory.LoseAnswer?.Invoke(seen) == true;
                if (lose)
                {
                    http.Response.Body = Stream.Null; // what the sandbox answers never reaches the caller
                }

                await proceed();
                if (lose)
                {
                    throw new HttpRequestException("The test lost the answer.");
                }
            });
            next(app);
        };
    }
}

/// <summary>"Leave in place": one Graph call per email (the fetch of its MIME), and never a second ticket from mail left in the folder.</summary>
public sealed class LeaveInPlaceTests(GraphRecordingPortalFactory app) : IClassFixture<GraphRecordingPortalFactory>
{
    private readonly SandboxMail _mail = new(app);

    private async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        var contexts = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await query(db);
    }

    [Fact]
    public async Task Mail_left_in_place_gets_only_its_MIME_fetched_and_is_never_processed_again_by_scans_or_a_full_resync()
    {
        var mailboxes = app.Services.GetRequiredService<IMailboxes>();
        var current = (await mailboxes.GetAsync(SandboxMail.DemoMailboxId))!.Incoming;
        await mailboxes.UpdateIncomingAsync(SandboxMail.DemoMailboxId, current with { ProcessedAction = ProcessedMailAction.LeaveInPlace }, Actor.System);
        await _mail.ImportAsync(); // whatever the demo seed left, so the counts below are about these three only
        var ids = Enumerable.Range(1, 3).Select(_ => SandboxMail.NewMessageId()).ToList();
        var delivered = new List<SandboxDeliveredMessage>();
        foreach (var (id, n) in ids.Select((id, n) => (id, n)))
        {
            delivered.Add(await _mail.DeliverAsync(SandboxMail.Mime($"leave{n}@customer.example", _mail.Demo.SharedMailbox, $"Leave me where I am {n}", "Body.", id)));
        }

        app.GraphRequests.Clear();
        var report = await _mail.ImportAsync();

        Assert.Null(report.Error);
        Assert.Equal(3, report.Created);
        var perEmail = app.GraphRequests.Where(r => delivered.Any(d => r.Contains(d.Id, StringComparison.Ordinal))).ToList();
        Assert.Equal(delivered.Select(d => $"GET /sandbox/graph/v1.0/users/{_mail.Demo.SharedMailbox}/messages/{d.Id}/$value").Order(),
            perEmail.Select(r => r.Split('?')[0]).Order());
        Assert.DoesNotContain(app.GraphRequests, r => r.StartsWith("POST", StringComparison.Ordinal) || r.StartsWith("PATCH", StringComparison.Ordinal) || r.StartsWith("DELETE", StringComparison.Ordinal));
        var emails = await QueryAsync(db => db.Set<InboundEmail>().AsNoTracking().Where(e => ids.Contains(e.InternetMessageId!)).ToListAsync());
        Assert.Equal(3, emails.Count);
        Assert.All(emails, e => Assert.Equal((InboundStatus.Processed, InboundStage.Done), (e.Status, e.Stage)));
        var requests = await QueryAsync(db => db.Set<InboundRequest>().AsNoTracking().Where(r => r.InboundEmailId == emails[0].Id).ToListAsync());
        Assert.Contains(Assert.Single(requests).Log, l => l.Message == "Left in the mailbox.");
        var inbox = await _mail.Control.ListMessagesAsync(_mail.Demo.SharedMailbox, "inbox");
        Assert.All(delivered, d => Assert.False(Assert.Single(inbox, m => m.Id == d.Id).IsRead));

        // The next scan and a full resync (the delta link forgotten, so every message in the folder is listed again) fetch nothing and add nothing.
        app.GraphRequests.Clear();
        var again = await _mail.ImportAsync();
        await QueryAsync(db => db.Set<MailboxSyncState>().ExecuteUpdateAsync(s => s.SetProperty(x => x.DeltaLink, (string?)null)));
        var resync = await _mail.ImportAsync();

        Assert.Equal((0, 0), (again.Created, again.Updated));
        Assert.Equal((0, 0), (resync.Created, resync.Updated));
        Assert.DoesNotContain(app.GraphRequests, r => delivered.Any(d => r.Contains(d.Id, StringComparison.Ordinal)));
        Assert.Contains(app.GraphRequests, r => r.Contains("/delta", StringComparison.Ordinal) && !r.Contains("deltatoken", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(3, await QueryAsync(db => db.Set<InboundEmail>().CountAsync(e => ids.Contains(e.InternetMessageId!))));
        Assert.Equal(3, await QueryAsync(db => db.Set<TicketMessage>().CountAsync(m => ids.Contains(m.InternetMessageId!))));
        Assert.Equal(3, (await _mail.Control.ListMessagesAsync(_mail.Demo.SharedMailbox, "inbox")).Count(m => delivered.Any(d => d.Id == m.Id)));
    }
}
