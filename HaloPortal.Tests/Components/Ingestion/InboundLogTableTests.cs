using Bunit;
using HaloPortal.Components.Inbound;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Portal;

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
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator, PortalPolicies.Administrator, PortalPolicies.Support, PortalPolicies.Agent);
        var support = await ctx.MailboxAsync("Support");
        var sales = await ctx.MailboxAsync("Sales");
        await ctx.EmailAsync(support, "For support", InboundStatus.Processed);
        await ctx.EmailAsync(sales, "For sales", InboundStatus.Processed);

        var table = ctx.RenderWithProviders<InboundLogTable>(p => p.Add(t => t.MailboxId, sales));

        table.WaitForAssertion(() => Assert.Equal(["For sales"], table.AllByTestId("inbound-subject").Select(c => c.TextContent.Trim()).ToArray()));
        Assert.Empty(table.AllByTestId("mailbox-filter"));
    }
}
