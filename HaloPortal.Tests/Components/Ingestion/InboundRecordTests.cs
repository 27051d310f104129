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
    public async Task An_email_waiting_for_a_retry_offers_no_replay_even_on_its_failed_attempt()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Support);
        var mailbox = await ctx.MailboxAsync();
        var email = await ctx.EmailAsync(mailbox, "Badge reader offline", InboundStatus.Pending, requests:
            [(RequestKind.Scan, RequestOutcome.Failed, [new LogLine(At, "Warning", "Microsoft Graph unavailable (HTTP 503). Retrying at 09:00:15 UTC (attempt 2).")])]);
        await using (var db = await ctx.Contexts.CreateDbContextAsync())
        {
            await db.Set<InboundEmail>().Where(e => e.Id == email.Id).ExecuteUpdateAsync(s => s
                .SetProperty(e => e.Attempts, 1).SetProperty(e => e.NextAttemptAt, IngestionTestContext.Now.AddSeconds(15))
                .SetProperty(e => e.LastError, "Microsoft Graph unavailable (HTTP 503): try later."));
        }

        var page = ctx.RenderWithProviders<InboundRecord>(p => p.Add(r => r.Id, email.Id));

        page.WaitForAssertion(() => Assert.Single(page.AllByTestId("request")));
        Assert.Empty(page.AllByTestId("replay-request"));
        Assert.Empty(page.AllByTestId("replay-email"));
        page.FindAll("[role='tab']").First(t => t.TextContent.Contains("Details")).Click();
        page.WaitForAssertion(() => Assert.Contains("HTTP 503", page.ByTestId("inbound-last-error").TextContent));
        Assert.Equal("1", page.ByTestId("inbound-attempts").TextContent.Trim());
        Assert.Equal("2026-03-10 09:00:15 UTC", page.ByTestId("inbound-next-attempt").TextContent.Trim());
    }

    [Fact]
    public async Task The_raw_data_view_masks_the_subscription_clientState()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Support);
        var mailbox = await ctx.MailboxAsync();
        var email = await ctx.EmailAsync(mailbox, "Notified", InboundStatus.Failed, requests: [(RequestKind.Webhook, RequestOutcome.Failed, [new LogLine(At, "Info", "Notified.")])]);
        await using (var db = await ctx.Contexts.CreateDbContextAsync())
        {
            await db.Set<InboundRequest>().Where(r => r.InboundEmailId == email.Id).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.RawData, System.Text.Encoding.UTF8.GetBytes("""{"subscriptionId":"sub-9","clientState":"do-not-show-me"}""")));
        }

        var page = ctx.RenderWithProviders<InboundRecord>(p => p.Add(r => r.Id, email.Id));
        page.WaitForAssertion(() => Assert.NotNull(page.ByTestId("show-raw")));

        page.ByTestId("show-raw").Click();

        page.WaitForAssertion(() => Assert.Contains("\"clientState\": \"••••••\"", page.ByTestId("raw-data").TextContent));
        Assert.DoesNotContain("do-not-show-me", page.Markup);
        Assert.Contains("sub-9", page.ByTestId("raw-data").TextContent);
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
