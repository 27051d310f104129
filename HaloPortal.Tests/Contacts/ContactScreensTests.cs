using Bunit;
using HaloPortal.Components.Pages.Configuration.Email.Contacts;
using HaloPortal.Components.Pages.Configuration.Sites;
using HaloPortal.Engine.Contacts;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.EndUsers;
using HaloPortal.Tests.Components.Ingestion;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Contacts;

/// <summary>The contact mappings editor and the Sites page, on the real engine.</summary>
public sealed class ContactScreensTests
{
    [Fact]
    public async Task The_mappings_editor_shows_the_defaults_and_refuses_a_set_without_an_email_mapping()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var mailbox = await ctx.MailboxAsync();
        var editor = ctx.RenderWithProviders<ContactMappingsEditor>(p => p.Add(e => e.MailboxId, mailbox));
        editor.WaitForAssertion(() => Assert.Equal(OutlookContactFields.Defaults.Count, editor.AllByTestId("mapping-row").Count));
        Assert.NotNull(editor.ByTestId("mappings-default"));
        var emailRow = OutlookContactFields.Defaults.ToList().FindIndex(m => m.UserField == UserField.Email);

        editor.ByTestId($"mapping-remove-{emailRow}").Click();
        editor.ByTestId("save-mappings").Click();

        editor.WaitForAssertion(() => Assert.Contains("Map an email address: users are matched by email", editor.ByTestId("mapping-errors").TextContent));
        var saved = await ctx.Services.GetRequiredService<IContactMappings>().GetAsync(mailbox);
        Assert.True(saved.IsDefault);
    }

    [Fact]
    public async Task Saving_mappings_keeps_them_and_the_engine_refuses_an_email_field_on_a_non_email_user_field()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var mailbox = await ctx.MailboxAsync();
        var editor = ctx.RenderWithProviders<ContactMappingsEditor>(p => p.Add(e => e.MailboxId, mailbox));
        editor.WaitForAssertion(() => Assert.NotEmpty(editor.AllByTestId("mapping-row")));

        editor.ByTestId("save-mappings").Click();

        var mappings = ctx.Services.GetRequiredService<IContactMappings>();
        editor.WaitForAssertion(() => Assert.False(mappings.GetAsync(mailbox).GetAwaiter().GetResult().IsDefault));
        Assert.Equal(OutlookContactFields.Defaults, (await mappings.GetAsync(mailbox)).Items);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => mappings.SaveAsync(mailbox,
            [new("emailAddresses[0]", UserField.Email), new("emailAddresses[1]", UserField.Notes), new("surname", UserField.Name), new("givenName", UserField.Name)],
            IngestionTestContext.Admin));
        Assert.Contains("Email address 2 is an email address: map it to Email", error.Message);
        Assert.Contains("Name is the target of 2 mappings", error.Message);
    }

    [Fact]
    public async Task The_sites_page_checks_domains_as_they_are_typed_and_refuses_a_domain_of_another_site()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        await ctx.Services.GetRequiredService<ISites>().CreateAsync(new SiteInput("Fabrikam", ["fabrikam.example"]), IngestionTestContext.Admin);
        var page = ctx.RenderWithProviders<SitesPage>();
        page.WaitForAssertion(() => Assert.Contains("Fabrikam", page.ByTestId("sites-table").TextContent));

        page.ByTestId("new-site").Click();
        var dialogs = ctx.Dialogs;
        dialogs.WaitForAssertion(() => Assert.NotNull(dialogs.ByTestId("site-domains-input")));
        dialogs.ByTestId("site-name-input").Input("Northwind");
        dialogs.ByTestId("site-domains-input").Input("northwind.example, northwind");

        dialogs.WaitForAssertion(() => Assert.Contains("'northwind' is not a valid email domain", dialogs.Markup));
        Assert.True(dialogs.ByTestId("save-site").HasAttribute("disabled"));

        dialogs.ByTestId("site-domains-input").Input("northwind.example; FABRIKAM.example");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.ByTestId("save-site").HasAttribute("disabled")));
        dialogs.ByTestId("save-site").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("fabrikam.example already belongs to the site 'Fabrikam'", dialogs.Markup));

        dialogs.ByTestId("site-domains-input").Input("northwind.example @northwindtraders.example");
        dialogs.ByTestId("save-site").Click();

        page.WaitForAssertion(() => Assert.Contains("Northwind", page.ByTestId("sites-table").TextContent));
        var northwind = (await ctx.Services.GetRequiredService<ISites>().ListAsync()).Single(s => s.Name == "Northwind");
        Assert.Equal(["northwind.example", "northwindtraders.example"], northwind.Domains);
    }

    [Fact]
    public async Task A_site_with_users_cannot_be_deleted_and_the_default_moves_to_exactly_one_site()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var sites = ctx.Services.GetRequiredService<ISites>();
        var ticket = await ctx.TicketAsync(1, "Printer", "kim@fabrikam.example", "Kim");
        var busy = (await sites.ListAsync()).Single();
        var other = await sites.CreateAsync(new SiteInput("Northwind", ["northwind.example"]), IngestionTestContext.Admin);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => sites.DeleteAsync(busy.Id, IngestionTestContext.Admin));
        Assert.Contains("1 user is on it", refused.Message);

        await sites.SetDefaultAsync(other.Id, IngestionTestContext.Admin);
        var all = await sites.ListAsync();
        Assert.Equal(other.Id, Assert.Single(all, s => s.IsDefaultForNewUsers).Id);
        Assert.NotNull(ticket);
    }
}
