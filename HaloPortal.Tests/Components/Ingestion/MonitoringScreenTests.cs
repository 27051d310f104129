using System.Text;
using System.Text.Json;
using Bunit;
using HaloPortal.Components.Inbound;
using HaloPortal.Components.Pages.Configuration.Advanced;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Portal;
using MudBlazor.Interop;

namespace HaloPortal.Tests.Components.Ingestion;

/// <summary>The monitoring screen's 14-day chart and its list of rejected Graph notifications.</summary>
public sealed class MonitoringScreenTests
{
    [Fact]
    public async Task The_chart_fills_the_card_width_with_one_legend_entry_per_status_and_the_period_totals()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Support);
        // The browser reports the plot's size (MatchBoundsToSize): a 1000 px wide card.
        ctx.JSInterop.Setup<ElementSize>("mudObserveElementSize", _ => true)
            .SetResult(new ElementSize { Width = 1000, Height = InboundDailyChart.PlotHeight, Timestamp = 1 });
        var mailbox = await ctx.MailboxAsync();
        await ctx.EmailAsync(mailbox, "Printer on fire", InboundStatus.Processed);
        await ctx.EmailAsync(mailbox, "Printer still on fire", InboundStatus.Processed);
        await ctx.EmailAsync(mailbox, "Out of office", InboundStatus.Ignored);
        await ctx.EmailAsync(mailbox, "Huge", InboundStatus.Failed);

        var chart = ctx.RenderWithProviders<InboundDailyChart>();

        chart.WaitForAssertion(() => Assert.NotEmpty(chart.FindAll("svg path.mud-chart-bar")));
        Assert.Empty(chart.AllByTestId("inbound-chart-empty"));
        var wrapper = chart.Find(".inbound-chart-plot .mud-chart");
        var svg = chart.Find(".inbound-chart-plot svg");
        Assert.Contains("width: 100%", svg.ParentElement!.GetAttribute("style") ?? wrapper.GetAttribute("style"));
        Assert.Equal($"0 0 1000 {InboundDailyChart.PlotHeight}", svg.GetAttribute("viewBox")); // drawn at the element's size, not scaled down
        Assert.Equal(["Processed", "Ignored", "Failed", "Pending", "Processing"],
            chart.FindAll(".mud-chart-legend-item").Select(l => l.TextContent.Trim()).ToArray());
        Assert.Contains("4 emails", chart.ByTestId("inbound-chart-total").TextContent);
        Assert.Equal(["2 processed", "1 ignored", "1 failed"], chart.AllByTestId("inbound-chart-count").Select(c => c.TextContent.Trim()).ToArray());
        var labels = chart.FindAll("svg text").Select(t => t.TextContent.Trim()).ToList();
        Assert.Contains(IngestionTestContext.Now.ToString("d MMM", System.Globalization.CultureInfo.InvariantCulture), labels);
    }

    [Fact]
    public async Task The_chart_explains_itself_when_no_mail_was_logged_in_the_period()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Support);

        var chart = ctx.RenderWithProviders<InboundDailyChart>();

        chart.WaitForAssertion(() => Assert.Contains("No email was logged in the last 14 days", chart.ByTestId("inbound-chart-empty").TextContent));
        Assert.Contains("incoming service is on", chart.ByTestId("inbound-chart-empty").TextContent);
        Assert.Empty(chart.FindAll(".mud-chart"));
        Assert.Empty(chart.AllByTestId("inbound-chart-total"));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 1)]
    [InlineData(6, 2)]
    [InlineData(23, 5)]
    [InlineData(140, 50)]
    public void Grid_lines_use_a_round_step_with_at_most_five_lines(int busiestDay, int step) =>
        Assert.Equal(step, InboundDailyChart.TickStep(busiestDay));

    [Fact]
    public async Task Rejected_notifications_are_listed_newest_first_with_reason_subscription_mailbox_and_raw_json()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Support);
        var mailbox = await ctx.MailboxAsync("Helpdesk");
        await RejectedAsync(ctx, 0, "sub-unknown", $"Unknown subscription sub-unknown: not one of this portal's subscriptions.", minutesAgo: 30);
        await RejectedAsync(ctx, mailbox, "sub-forged", "The clientState does not match subscription sub-forged: not sent by Graph for this portal.", minutesAgo: 10);
        await RejectedAsync(ctx, 0, "sub-old", "Unknown subscription sub-old: not one of this portal's subscriptions.", minutesAgo: 60 * 24 * 20);
        await ctx.EmailAsync(mailbox, "Accepted mail", InboundStatus.Processed, requests: (RequestKind.Webhook, RequestOutcome.Succeeded, []));

        var list = ctx.RenderWithProviders<RejectedNotifications>();

        list.WaitForAssertion(() => Assert.Equal(2, list.AllByTestId("rejected-reason").Count)); // the last 14 days
        Assert.Equal(["sub-forged", "sub-unknown"], list.AllByTestId("rejected-subscription").Select(s => s.TextContent.Trim()).ToArray());
        Assert.StartsWith("The clientState does not match", list.AllByTestId("rejected-reason")[0].TextContent.Trim());
        Assert.Equal(["Helpdesk", "unknown"], list.AllByTestId("rejected-mailbox").Select(m => m.TextContent.Trim()).ToArray());

        await list.InvokeAsync(() => list.AllByTestId("rejected-open-raw")[1].Click());

        ctx.Dialogs.WaitForAssertion(() => Assert.Contains("\"subscriptionId\": \"sub-unknown\"", ctx.Dialogs.ByTestId("raw-data").TextContent));
        Assert.StartsWith("Unknown subscription sub-unknown", ctx.Dialogs.ByTestId("rejected-dialog-reason").TextContent.Trim());
        Assert.EndsWith("/download", ctx.Dialogs.ByTestId("rejected-download-raw").GetAttribute("href"));
    }

    [Fact]
    public async Task No_rejected_notification_shows_what_one_would_mean()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Support);

        var list = ctx.RenderWithProviders<RejectedNotifications>();

        list.WaitForAssertion(() => Assert.Contains("No notification was rejected in this period", list.ByTestId("rejected-empty").TextContent));
        Assert.Contains("did not subscribe to, or the clientState did not match", list.ByTestId("rejected-empty").TextContent);
    }

    [Fact]
    public async Task The_monitoring_page_counts_recent_rejections_on_its_tab()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Support);
        await RejectedAsync(ctx, 0, "sub-x", "Unknown subscription sub-x: not one of this portal's subscriptions.", minutesAgo: 5);

        var page = ctx.RenderWithProviders<BackendServiceMonitoring>();

        page.WaitForAssertion(() => Assert.Contains("Rejected notifications", page.ByTestId("monitoring-tabs").TextContent));
        Assert.Equal("1", page.Find(".mud-tab-badge .mud-badge").TextContent.Trim());
        Assert.NotNull(page.ByTestId("inbound-log"));
    }

    /// <summary>A notification as ChangeNotificationIntake stores a rejected one: no email, the subscription's mailbox or 0, a "Rejected:" log line.</summary>
    private static async Task RejectedAsync(IngestionTestContext ctx, int mailboxId, string subscriptionId, string reason, int minutesAgo)
    {
        var at = IngestionTestContext.Now.AddMinutes(-minutesAgo);
        await using var db = await ctx.Contexts.CreateDbContextAsync();
        db.Add(new InboundRequest
        {
            MailboxId = mailboxId,
            Kind = RequestKind.Webhook,
            ReceivedAt = at,
            CompletedAt = at,
            Outcome = RequestOutcome.Rejected,
            RawContentType = "application/json",
            RawData = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { subscriptionId, changeType = "created", clientState = "x", resourceData = new { id = "AAMk1" } })),
            LogJson = JsonSerializer.Serialize(new[] { new LogLine(at, "Warning", $"Rejected: {reason} Nothing was fetched.") }, new JsonSerializerOptions(JsonSerializerDefaults.Web)),
        });
        await db.SaveChangesAsync();
    }
}
