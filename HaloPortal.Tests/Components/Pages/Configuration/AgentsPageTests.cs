using Bunit;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace HaloPortal.Tests.Components.Pages.Configuration;

public sealed class AgentsPageTests : ComponentTest
{
    [Fact]
    public async Task Lists_agents_with_roles_and_status()
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);
        var agents = Context.Services.GetRequiredService<IAgents>();
        await agents.CreateAsync(new NewAgent("Ada Lovelace", "ada@example.com", "analytical1engine", [PortalRoles.Administrator]), Actor.System);
        var grace = await agents.CreateAsync(new NewAgent("Grace Hopper", "grace@example.com", "analytical1engine", [PortalRoles.Agent, PortalRoles.Support]), Actor.System);
        await agents.SetDisabledAsync(grace.Id, true, Actor.System);

        var page = RenderWithProviders();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tr.agent-row").Count));
        var rows = page.FindAll("tr.agent-row");
        Assert.Contains("Ada Lovelace", rows[0].TextContent);
        Assert.Contains("ada@example.com", rows[0].TextContent);
        Assert.Equal(["Administrator"], rows[0].QuerySelectorAll("[data-testid=agent-role]").Select(c => c.TextContent.Trim()));
        Assert.Equal("Active", rows[0].QuerySelector("[data-testid=agent-status]")!.TextContent.Trim());
        Assert.Equal(["Agent", "Support"], rows[1].QuerySelectorAll("[data-testid=agent-role]").Select(c => c.TextContent.Trim()));
        Assert.Equal("Disabled", rows[1].QuerySelector("[data-testid=agent-status]")!.TextContent.Trim());
        Assert.NotNull(rows[1].QuerySelector("[data-testid=agent-enable]"));
    }

    [Fact]
    public async Task Empty_list_explains_how_agents_get_there()
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);

        var page = RenderWithProviders();

        page.WaitForElement("[data-testid=agents-empty]");
        Assert.Contains("New agent", page.Find("[data-testid=agents-empty]").TextContent);
    }

    [Fact]
    public async Task New_agent_dialog_says_what_to_fix_and_creates_the_agent()
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);
        var page = RenderWithProviders();
        page.WaitForElement("[data-testid=agents-empty]");

        page.Find("button[data-testid=new-agent]").Click();
        page.WaitForElement("[data-testid=new-agent-save]").Click();
        page.WaitForAssertion(() => Assert.Contains("Enter the agent's name as colleagues should see it.", page.Markup));

        page.Find("input[data-testid=agent-name]").Input("Ada Lovelace");
        page.Find("input[data-testid=agent-email]").Input("ada.example.com");
        page.Find("input[data-testid=agent-password]").Input("analytical1engine");
        page.Find("[data-testid=new-agent-save]").Click();
        page.WaitForAssertion(() => Assert.Contains("'ada.example.com' is not an email address. Enter an address like name@example.com.", page.Markup));

        page.Find("input[data-testid=agent-email]").Input("ada@example.com");
        page.Find("input[data-testid=agent-password]").Input("short");
        page.Find("[data-testid=new-agent-save]").Click();
        page.WaitForAssertion(() => Assert.Contains("Choose a stronger password.", page.Markup));

        page.Find("input[data-testid=agent-password]").Input("analytical1engine");
        page.Find("[data-testid=new-agent-save]").Click();

        page.WaitForAssertion(() => Assert.Single(page.FindAll("tr.agent-row")));
        Assert.Empty(page.FindAll("[data-testid=new-agent-dialog]"));
        var created = Assert.Single((await Context.Services.GetRequiredService<IAgents>().ListAsync(new AgentQuery())).Items);
        Assert.Equal(("Ada Lovelace", "ada@example.com"), (created.DisplayName, created.Email));
        Assert.Equal([PortalRoles.Agent], created.Roles);
        var audit = Assert.Single((await Context.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery("Agent.Created"))).Items);
        Assert.Equal("admin@example.com", audit.Actor);
    }

    private IRenderedComponent<IComponent> RenderWithProviders() => Context.Render(builder =>
    {
        builder.OpenComponent<MudPopoverProvider>(0);
        builder.CloseComponent();
        builder.OpenComponent<MudDialogProvider>(1);
        builder.CloseComponent();
        builder.OpenComponent<MudSnackbarProvider>(2);
        builder.CloseComponent();
        builder.OpenComponent<HaloPortal.Components.Pages.Configuration.Teams.Agents>(3);
        builder.CloseComponent();
    });
}
