using Bunit;
using HaloPortal.Components.Pages.Inbound;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Tests.Components.Ingestion;

public sealed class InboundRecordTests
{
    private static readonly DateTimeOffset At = IngestionTestContext.Now.AddMinutes(-4);

    [Fact]
    public async Task Opens_on_the_requests_with_their_logs_and_offers_replay_only_on_failed_ones()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Support);
        var mailbox = await ctx.MailboxAsync();
        var email = await ctx.EmailAsync(mailbox, "Cannot log in", InboundStatus.Failed, reason: "Graph refused the message.", requests:
        [
            (RequestKind.Webhook, RequestOutcome.Succeeded, [new LogLine(At, "Info", "Notification stored.")]),
            (RequestKind.Scan, RequestOutcome.Failed, [new LogLine(At, "Info", "Fetching the message."), new LogLine(At, "Error", "ErrorItemNotFound: the message is gone.")]),
        ]);

        var page = ctx.RenderWithProviders<InboundRecord>(p => p.Add(r => r.Id, email.Id));

        page.WaitForAssertion(() => Assert.Equal(2, page.AllByTestId("request").Count));
        Assert.Equal(["Failed", "Succeeded"], page.AllByTestId("request").Select(r => r.GetAttribute("data-outcome")!).ToArray());
        var replays = page.AllByTestId("replay-request");
        Assert.Single(replays);
        Assert.Contains(page.AllByTestId("request")[0].QuerySelectorAll("[data-testid='replay-request']"), _ => true);
        Assert.Contains(page.AllByTestId("log-line"), l => l.GetAttribute("data-level") == "Error" && l.TextContent.Contains("ErrorItemNotFound: the message is gone."));
        Assert.NotNull(page.ByTestId("download-eml"));
    }

    [Fact]
    public async Task Replay_queues_a_new_request_and_follows_it_until_it_completes()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Support);
        var mailbox = await ctx.MailboxAsync();
        var email = await ctx.EmailAsync(mailbox, "Cannot log in", InboundStatus.Failed, requests:
            [(RequestKind.Scan, RequestOutcome.Failed, [new LogLine(At, "Error", "Boom.")])]);
        var page = ctx.RenderWithProviders<InboundRecord>(p => p.Add(r => r.Id, email.Id));
        page.WaitForAssertion(() => Assert.Single(page.AllByTestId("replay-request")));

        page.ByTestId("replay-request").Click();

        page.WaitForAssertion(() => Assert.NotNull(page.ByTestId("replay-running")));
        Assert.Equal(2, page.AllByTestId("request").Count);
        Assert.Equal("Pending", page.AllByTestId("request")[0].GetAttribute("data-outcome"));

        // The Hangfire job is not run here: complete the replay as the job would, then let the page's one-second poll see it.
        await using (var db = await ctx.Contexts.CreateDbContextAsync())
        {
            var replay = await db.Set<InboundRequest>().OrderByDescending(r => r.Id).FirstAsync();
            Assert.Equal(RequestKind.Replay, replay.Kind);
            replay.Outcome = RequestOutcome.Succeeded;
            replay.CompletedAt = IngestionTestContext.Now;
            await db.SaveChangesAsync();
        }

        ctx.Clock.Advance(TimeSpan.FromSeconds(1));

        page.WaitForAssertion(() => Assert.Contains("succeeded", page.ByTestId("replay-result").TextContent));
        Assert.Equal("Succeeded", page.AllByTestId("request")[0].GetAttribute("data-outcome"));
    }
}
