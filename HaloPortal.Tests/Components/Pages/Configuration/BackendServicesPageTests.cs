using Bunit;
using HaloPortal.Components.Pages.Configuration.Advanced;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.BackendServices;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace HaloPortal.Tests.Components.Pages.Configuration;

public sealed class BackendServicesPageTests : ComponentTest
{
    [Fact]
    public async Task Both_switches_are_shown_with_their_explanations()
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);

        var page = Context.Render<BackendServices>();

        page.WaitForElement("[data-testid=incoming-switch]");
        Assert.Contains("Incoming service", page.Markup);
        Assert.Contains("Reads the connected mailboxes and turns their mail into tickets.", page.Markup);
        Assert.Contains("Scheduling service", page.Markup);
        Assert.Contains("mailbox scans, subscription renewals", page.Markup);
        Assert.Empty(page.FindAll("[data-testid=ingestion-off]"));
    }

    [Fact]
    public async Task Turning_a_service_off_persists_audits_and_warns()
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);
        var page = Context.Render<BackendServices>();
        page.WaitForElement("[data-testid=incoming-switch]");

        await page.InvokeAsync(() => page.FindComponents<MudSwitch<bool>>()[0].Instance.ValueChanged.InvokeAsync(false));

        page.WaitForElement("[data-testid=ingestion-off]");
        var stored = await Context.Services.GetRequiredService<IBackendServices>().GetAsync();
        Assert.Equal(new BackendServiceState(false, true), stored);
        var entry = Assert.Single((await Context.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery("BackendServices"))).Items);
        Assert.Equal("admin@example.com", entry.Actor);
    }
}
