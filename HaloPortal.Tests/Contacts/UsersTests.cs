using Bunit;
using HaloPortal.Components.Pages.Users;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.EndUsers;
using HaloPortal.Tests.Components.Ingestion;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Contacts;

public sealed class UsersTests
{
    [Fact]
    public async Task Users_are_searched_and_paged_and_a_user_shows_their_fields_and_tickets()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Agent);
        var ticket = await ctx.TicketAsync(7, "Laptop will not boot", "kim@fabrikam.example", "Kim Akers");
        await ctx.TicketAsync(8, "Printer jam", "lee@northwind.example", "Lee Gu");
        var users = ctx.Services.GetRequiredService<IEndUsers>();

        var found = await users.QueryAsync(new UserQuery("fabrikam"));
        var kim = Assert.Single(found.Items);
        Assert.Equal(("Kim Akers", "Head office"), (kim.Name, kim.SiteName));
        Assert.Equal(2, (await users.QueryAsync(new UserQuery(PageSize: 1))).Total);
        Assert.Single((await users.QueryAsync(new UserQuery(PageSize: 1, Page: 2))).Items);

        var page = ctx.RenderWithProviders<UserDetail>(p => p.Add(d => d.Id, ticket.RequesterId));

        page.WaitForAssertion(() => Assert.Equal("Laptop will not boot", Assert.Single(page.AllByTestId("user-ticket-subject")).TextContent.Trim()));
        Assert.Equal("kim@fabrikam.example", page.ByTestId("user-field-email").TextContent.Trim());
        Assert.Equal("Head office", page.ByTestId("user-field-site").TextContent.Trim());
        Assert.Equal("Created from an email", page.ByTestId("user-field-source").TextContent.Trim());
    }
}
