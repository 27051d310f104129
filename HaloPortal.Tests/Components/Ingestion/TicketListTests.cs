using Bunit;
using HaloPortal.Components.Pages.Tickets;
using HaloPortal.Engine.Portal;

namespace HaloPortal.Tests.Components.Ingestion;

public sealed class TicketListTests
{
    [Fact]
    public async Task Search_narrows_the_list_by_subject_requester_or_number()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Agent);
        await ctx.TicketAsync(1001, "Printer on fire", "ann@contoso.com", "Ann Lee");
        await ctx.TicketAsync(1002, "VPN drops every hour", "bob@fabrikam.com", "Bob Stone");

        var list = ctx.RenderWithProviders<TicketList>();
        list.WaitForAssertion(() => Assert.Equal(2, list.AllByTestId("ticket-subject").Count));

        list.ByTestId("ticket-search").Change("printer");
        list.WaitForAssertion(() => Assert.Equal(["Printer on fire"], list.AllByTestId("ticket-subject").Select(s => s.TextContent.Trim()).ToArray()));

        list.ByTestId("ticket-search").Change("fabrikam");
        list.WaitForAssertion(() => Assert.Equal(["VPN drops every hour"], list.AllByTestId("ticket-subject").Select(s => s.TextContent.Trim()).ToArray()));

        list.ByTestId("ticket-search").Change("#1001");
        list.WaitForAssertion(() => Assert.Equal(["#1001"], list.AllByTestId("ticket-link").Select(s => s.TextContent.Trim()).ToArray()));

        list.ByTestId("ticket-search").Change("nothing like this");
        list.WaitForAssertion(() => Assert.Contains("No ticket matches", list.ByTestId("tickets-empty").TextContent));
    }

    [Fact]
    public async Task Each_ticket_shows_the_mailbox_it_came_from()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Agent);
        var mailboxId = await ctx.MailboxAsync("Billing desk");
        var fromMail = await ctx.TicketAsync(1001, "Invoice copy", "ann@contoso.com", "Ann Lee");
        await ctx.TicketAsync(1002, "Typed in by an agent", "bob@fabrikam.com", "Bob Stone");
        await using (var db = await ctx.Contexts.CreateDbContextAsync())
        {
            var ticket = await db.Set<HaloPortal.Engine.Tickets.Ticket>().FindAsync(fromMail.Id);
            ticket!.MailboxId = mailboxId;
            await db.SaveChangesAsync();
        }

        var list = ctx.RenderWithProviders<TicketList>();

        list.WaitForAssertion(() => Assert.Equal(["—", "Billing desk"], list.AllByTestId("ticket-mailbox").Select(c => c.TextContent.Trim()).ToArray()));
    }
}
