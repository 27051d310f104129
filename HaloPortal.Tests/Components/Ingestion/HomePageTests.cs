using Bunit;
using HaloPortal.Components.Pages;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tickets;

namespace HaloPortal.Tests.Components.Ingestion;

public sealed class HomePageTests
{
    [Fact]
    public async Task An_agent_sees_the_open_tickets_newest_first_and_their_notifications()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Agent);
        await ctx.TicketAsync(1001, "Printer on fire", "ann@contoso.com", "Ann Lee");
        await ctx.TicketAsync(1002, "VPN drops every hour", "bob@fabrikam.com", "Bob Stone");
        var done = await ctx.TicketAsync(1003, "Password reset", "cat@contoso.com", "Cat Moss");
        await using (var db = await ctx.Contexts.CreateDbContextAsync())
        {
            (await db.Set<Ticket>().FindAsync(done.Id))!.Status = TicketStatus.Resolved;
            await db.SaveChangesAsync();
        }

        var home = ctx.RenderWithProviders<Home>();

        home.WaitForAssertion(() => Assert.Equal("2 open tickets", home.ByTestId("home-open-count").TextContent.Trim()));
        var items = home.AllByTestId("home-open-ticket").Select(i => i.TextContent).ToList();
        Assert.Equal(2, items.Count);
        Assert.Contains("#1002", items[0]);
        Assert.Contains("#1001", items[1]);
        Assert.DoesNotContain(items, i => i.Contains("Password reset", StringComparison.Ordinal));
        Assert.NotNull(home.ByTestId("home-notifications"));
        Assert.Empty(home.FindAll("[data-testid=home-mailboxes]"));
    }
}
