using Bunit;
using HaloPortal.Components.Pages.Configuration.Advanced;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Retention;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace HaloPortal.Tests.Components.Pages.Configuration;

public sealed class DataRetentionPageTests : ComponentTest
{
    [Fact]
    public async Task The_defaults_are_shown_with_the_promise_that_tickets_are_never_purged_and_no_purge_has_run()
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);

        var page = Context.Render<DataRetention>();

        page.WaitForElement("[data-testid=raw-mime-days]");
        Assert.Equal(["30", "30", "14", "365"], new[] { "raw-mime-days", "request-data-days", "rejected-days", "audit-days" }
            .Select(id => page.Find($"[data-testid={id}]").GetAttribute("value")));
        Assert.Contains("Tickets, their messages and their attachments are never removed by retention.", page.Markup);
        Assert.NotNull(page.Find("[data-testid=never-purged]"));
        Assert.True(page.Find("[data-testid=save-retention]").HasAttribute("disabled")); // nothing changed yet
    }

    [Fact]
    public async Task A_period_out_of_range_is_marked_on_its_field_and_a_longer_one_saves_and_is_audited()
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);
        var page = Context.Render<DataRetention>();
        page.WaitForElement("[data-testid=audit-days]");
        var audit = page.FindComponents<MudNumericField<int>>()[3];

        await page.InvokeAsync(() => audit.Instance.ValueChanged.InvokeAsync(5));
        page.Find("[data-testid=save-retention]").Click();
        page.WaitForAssertion(() => Assert.Contains("Audit entries: enter a number of days from 30 to 3,650 (10 years).", page.Markup));
        Assert.Equal(RetentionPeriods.Default, (await Context.Services.GetRequiredService<IRetention>().GetAsync()).Periods);

        await page.InvokeAsync(() => audit.Instance.ValueChanged.InvokeAsync(730)); // longer than the default: no confirmation needed
        page.Find("[data-testid=save-retention]").Click();
        page.WaitForAssertion(() => Assert.True(page.Find("[data-testid=save-retention]").HasAttribute("disabled")));
        Assert.Equal(RetentionPeriods.Default with { AuditDays = 730 }, (await Context.Services.GetRequiredService<IRetention>().GetAsync()).Periods);
        var entry = Assert.Single((await Context.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery("Retention.Updated"))).Items);
        Assert.Equal("admin@example.com", entry.Actor);
    }

    [Fact]
    public async Task Purge_now_runs_and_shows_what_it_removed()
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);
        var page = Context.Render<DataRetention>();
        page.WaitForElement("[data-testid=purge-now]");

        page.Find("[data-testid=purge-now]").Click();

        page.WaitForElement("[data-testid=last-purge-when]", TimeSpan.FromSeconds(30));
        Assert.Contains("by admin@example.com", page.Find("[data-testid=last-purge-when]").TextContent);
        Assert.Equal("0", page.Find("[data-testid=purged-raw-mimes]").TextContent);
    }
}
