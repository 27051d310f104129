using Bunit;
using HaloPortal.Components.Inbound;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Tests.Components.Ingestion;

public sealed class InboundLogTableTests
{
    [Fact]
    public async Task Lists_every_email_with_status_rule_and_reason_and_filters_by_status()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Support);
        var mailbox = await ctx.MailboxAsync();
        await ctx.EmailAsync(mailbox, "Printer on fire", InboundStatus.Processed);
        await ctx.EmailAsync(mailbox, "Weekly newsletter", InboundStatus.Ignored, rule: "Newsletters", reason: "Caught by the rule 'Newsletters'.");
        await ctx.EmailAsync(mailbox, "Huge attachment", InboundStatus.Failed, reason: "The email is 40.0 MB, over this mailbox's 25 MB limit.");

        var table = ctx.RenderWithProviders<InboundLogTable>();

        table.WaitForAssertion(() => Assert.Equal(3, table.AllByTestId("inbound-subject").Count));
        Assert.Contains(table.AllByTestId("inbound-rule"), c => c.TextContent.Trim() == "Newsletters");
        Assert.Contains("over this mailbox's 25 MB limit", table.Markup);
        Assert.Equal(["Failed", "Ignored", "Processed"], table.AllByTestId("status-chip").Select(c => c.GetAttribute("data-status")!).ToArray());
        Assert.Contains("Replay failed in view (1)", table.ByTestId("replay-failed").TextContent);

        table.ByTestId("status-filter-Failed").Click();

        table.WaitForAssertion(() => Assert.Equal(["Huge attachment"], table.AllByTestId("inbound-subject").Select(c => c.TextContent.Trim()).ToArray()));
        Assert.Equal("/inbound/export.csv?status=Failed", table.ByTestId("export-csv").GetAttribute("href"));

        table.ByTestId("status-filter-Pending").Click();

        table.WaitForAssertion(() => Assert.NotNull(table.ByTestId("inbound-empty")));
    }

    [Fact]
    public async Task A_mailbox_log_shows_only_that_mailbox_and_hides_the_mailbox_filter()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var support = await ctx.MailboxAsync("Support");
        var sales = await ctx.MailboxAsync("Sales");
        await ctx.EmailAsync(support, "For support", InboundStatus.Processed);
        await ctx.EmailAsync(sales, "For sales", InboundStatus.Processed);

        var table = ctx.RenderWithProviders<InboundLogTable>(p => p.Add(t => t.MailboxId, sales));

        table.WaitForAssertion(() => Assert.Equal(["For sales"], table.AllByTestId("inbound-subject").Select(c => c.TextContent.Trim()).ToArray()));
        Assert.Empty(table.AllByTestId("mailbox-filter"));
    }

    [Fact]
    public async Task A_waiting_email_shows_sender_attempts_last_error_and_next_attempt_and_only_failed_ones_count_for_replay()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Support);
        var mailbox = await ctx.MailboxAsync();
        var waiting = await ctx.EmailAsync(mailbox, "Badge reader offline", InboundStatus.Pending);
        var processed = await ctx.EmailAsync(mailbox, "Printer on fire", InboundStatus.Processed);
        await ctx.EmailAsync(mailbox, "Huge attachment", InboundStatus.Failed);
        var next = IngestionTestContext.Now.AddSeconds(15);
        await using (var db = await ctx.Contexts.CreateDbContextAsync())
        {
            await db.Set<InboundEmail>().Where(e => e.Id == waiting.Id).ExecuteUpdateAsync(s => s
                .SetProperty(e => e.Attempts, 1).SetProperty(e => e.NextAttemptAt, next)
                .SetProperty(e => e.LastError, "Microsoft Graph unavailable (HTTP 503): The service is temporarily unavailable."));
            await db.Set<InboundEmail>().Where(e => e.Id == processed.Id).ExecuteUpdateAsync(s => s
                .SetProperty(e => e.Attempts, 2).SetProperty(e => e.LastError, "Microsoft Graph unavailable (HTTP 503): earlier."));
        }

        var table = ctx.RenderWithProviders<InboundLogTable>();

        table.WaitForAssertion(() => Assert.Equal(3, table.AllByTestId("inbound-subject").Count));
        var rows = table.FindAll("tbody tr").ToDictionary(r => r.QuerySelector("[data-testid='inbound-subject']")!.TextContent.Trim());
        var row = rows["Badge reader offline"];
        Assert.Equal("someone@contoso.com", row.QuerySelector("[data-testid='inbound-from']")!.TextContent.Trim());
        Assert.Equal("1 attempt", row.QuerySelector("[data-testid='inbound-attempts']")!.TextContent.Trim());
        Assert.Equal("Next attempt 2026-03-10 09:00:15 UTC", row.QuerySelector("[data-testid='inbound-next-attempt']")!.TextContent.Trim());
        Assert.Contains("Last error: Microsoft Graph unavailable (HTTP 503)", row.QuerySelector("[data-testid='inbound-last-error']")!.TextContent);
        // Once processed, the row keeps its real attempt count and no longer shows an error that did not stop it.
        var done = rows["Printer on fire"];
        Assert.Equal("2 attempts", done.QuerySelector("[data-testid='inbound-attempts']")!.TextContent.Trim());
        Assert.Null(done.QuerySelector("[data-testid='inbound-last-error']"));
        Assert.Null(done.QuerySelector("[data-testid='inbound-next-attempt']"));
        Assert.Contains("Replay failed in view (1)", table.ByTestId("replay-failed").TextContent);
    }

    [Fact]
    public void Attempt_counts_read_as_words() =>
        Assert.Equal(["Not tried yet", "1 attempt", "3 attempts"], new[] { 0, 1, 3 }.Select(InboundLogTable.AttemptsText).ToArray());
}
