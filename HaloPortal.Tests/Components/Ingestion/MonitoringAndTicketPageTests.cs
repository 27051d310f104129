using Bunit;
using HaloPortal.Components.Pages.Configuration.Advanced;
using HaloPortal.Components.Pages.Tickets;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tickets;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Tests.Components.Ingestion;

public sealed class MonitoringAndTicketPageTests
{
    [Fact]
    public async Task Monitoring_shows_the_fourteen_day_chart_above_the_global_log()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Support);
        var mailbox = await ctx.MailboxAsync();
        await ctx.EmailAsync(mailbox, "Printer on fire", InboundStatus.Processed);
        await ctx.EmailAsync(mailbox, "Huge", InboundStatus.Failed);

        var page = ctx.RenderWithProviders<BackendServiceMonitoring>();

        page.WaitForAssertion(() => Assert.Equal(2, page.AllByTestId("inbound-subject").Count));
        Assert.Empty(page.AllByTestId("inbound-chart-empty"));
        Assert.NotEmpty(page.ByTestId("inbound-chart").QuerySelectorAll("svg"));
        Assert.NotNull(page.ByTestId("mailbox-filter"));
    }

    [Fact]
    public async Task A_ticket_shows_its_header_thread_and_the_closed_ticket_it_continues()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Agent);
        var closed = await ctx.TicketAsync(1001, "Printer on fire", "ann@contoso.com", "Ann Lee");
        var ticket = await ctx.TicketAsync(1002, "Printer on fire again", "ann2@contoso.com", "Ann Lee");
        await using (var db = await ctx.Contexts.CreateDbContextAsync())
        {
            var t = await db.Set<Ticket>().SingleAsync(x => x.Id == ticket.Id);
            t.LinkedTicketId = closed.Id;
            await db.SaveChangesAsync();
        }

        var page = ctx.RenderWithProviders<TicketDetail>(p => p.Add(t => t.Id, ticket.Id));

        page.WaitForAssertion(() => Assert.Single(page.AllByTestId("ticket-message")));
        Assert.Contains("Continues closed ticket", page.ByTestId("linked-tickets").TextContent);
        Assert.Equal("/tickets/" + closed.Id, page.ByTestId("linked-ticket").GetAttribute("href"));
        Assert.Contains("Head office", page.ByTestId("ticket-requester").TextContent);
        Assert.Equal("<p>Printer on fire again</p>", page.ByTestId("message-body").InnerHtml.Trim());
        Assert.Empty(page.AllByTestId("inbound-record-link")); // agents do not see the inbound log
    }
}
