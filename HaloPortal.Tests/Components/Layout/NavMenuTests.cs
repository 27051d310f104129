using Bunit;
using HaloPortal.Components.Layout;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Components;

namespace HaloPortal.Tests.Components.Layout;

public sealed class NavMenuTests : ComponentTest
{
    [Fact]
    public async Task An_administrator_sees_the_configuration_links()
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);

        var layout = Context.Render<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddContent(0, "page body"))));

        var links = layout.FindAll("a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Contains("/configuration/teams/agents", links);
        Assert.Contains("/configuration/advanced/backend-services", links);
        Assert.Contains("/configuration/advanced/api-keys", links);
        Assert.Contains("/configuration/advanced/audit-log", links);
        Assert.Contains("page body", layout.Markup);
        Assert.Contains("admin@example.com", layout.Markup);
    }

    [Fact]
    public async Task An_agent_sees_no_configuration_links()
    {
        await SignedInAsAsync("agent@example.com", PortalRoles.Agent);

        var menu = Context.Render<NavMenu>();

        var links = menu.FindAll("a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Contains("/", links);
        Assert.DoesNotContain(links, l => l?.StartsWith("/configuration", StringComparison.Ordinal) == true);
        Assert.DoesNotContain("Configuration", menu.Markup);
    }
}
