using Bunit;
using HaloPortal.Components.Layout;
using HaloPortal.Components.Pages.Configuration.Email;
using HaloPortal.Components.Pages.Configuration.Email.Components;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Components.Pages.Configuration;

/// <summary>Configuration › Email › Common Errors: the whole catalogue with cause and fix, reachable from every error shown.</summary>
public sealed class CommonErrorsTests : ComponentTest
{
    [Fact]
    public async Task The_page_lists_every_catalogued_error_with_its_cause_and_fix()
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);

        var page = Context.Render<CommonErrors>();

        var rows = page.FindAll("[data-testid=common-error]");
        Assert.Equal(KnownErrors.All.Count, rows.Count);
        foreach (var error in KnownErrors.All)
        {
            var row = page.Find($"[data-testid=common-error][data-code='{error.Code}']");
            Assert.Contains(error.Title, row.TextContent, StringComparison.Ordinal);
            Assert.Contains(error.Message, row.TextContent, StringComparison.Ordinal);
            Assert.Contains(error.Fix, row.TextContent, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Searching_narrows_the_list_and_says_so_when_nothing_matches()
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);
        var page = Context.Render<CommonErrors>();

        page.Find("input[data-testid=common-errors-search]").Input("secret value");
        page.WaitForAssertion(() =>
        {
            var rows = page.FindAll("[data-testid=common-error]");
            Assert.InRange(rows.Count, 1, KnownErrors.All.Count - 1);
            Assert.Contains(rows, r => r.GetAttribute("data-code") == "AADSTS7000215");
            Assert.All(rows, r => Assert.Contains("secret value", r.TextContent, StringComparison.OrdinalIgnoreCase));
        });

        page.Find("input[data-testid=common-errors-search]").Input("no such error anywhere");
        page.WaitForAssertion(() => Assert.Contains("No recognised error matches", page.Find("[data-testid=common-errors-empty]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_error_shown_elsewhere_links_to_its_entry_which_opens_filtered_to_it()
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);
        var denied = KnownErrors.Find("ErrorAccessDenied")!;

        var alert = Context.Render<KnownErrorAlert>(p => p.Add(a => a.Error, denied));
        var href = alert.Find("[data-testid=common-error-link]").GetAttribute("href");
        Assert.Equal("/configuration/email/common-errors?code=ErrorAccessDenied", href);

        // An error outside the catalogue has no entry, so no link.
        var unknown = Context.Render<KnownErrorAlert>(p => p.Add(a => a.Error, KnownErrors.Unknown("SomethingNew", "Graph said no.")));
        Assert.Empty(unknown.FindAll("[data-testid=common-error-link]"));

        Context.Services.GetRequiredService<NavigationManager>().NavigateTo(href!);
        var page = Context.Render<CommonErrors>();
        var row = Assert.Single(page.FindAll("[data-testid=common-error]"));
        Assert.Equal("ErrorAccessDenied", row.GetAttribute("data-code"));
        Assert.Contains("background", row.GetAttribute("style") ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agents_and_support_staff_reach_it_from_the_menu_without_configuration_rights()
    {
        await SignedInAsAsync("agent@example.com", PortalRoles.Agent);

        var menu = Context.Render<NavMenu>();

        var links = menu.FindAll("a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Contains("/help/common-errors", links);
        Assert.DoesNotContain("/configuration/email/common-errors", links);
    }
}
