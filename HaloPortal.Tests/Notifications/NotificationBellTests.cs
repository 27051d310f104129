using System.Security.Claims;
using Bunit;
using HaloPortal.Components.Layout;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Notifications;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Notifications;

public sealed class NotificationBellTests : ComponentTest
{
    [Fact]
    public async Task The_bell_count_updates_live_when_a_notification_is_raised_and_read()
    {
        await SignedInAsAsync("agent@example.com", PortalRoles.Agent);
        var services = Context.Services;
        var agent = await services.GetRequiredService<IAgents>().CreateAsync(new NewAgent("Bell Agent", "bell@example.com", "Agent-Password-1", [PortalRoles.Agent]), Actor.System);
        var notifications = services.GetRequiredService<INotifications>();
        await notifications.SetPreferencesAsync(agent.Id, new NotificationPreferences(EmailProcessingErrors: true, IntegrationErrors: false), Actor.System);
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, agent.Id), new Claim(ClaimTypes.Name, agent.Email)], "test"));

        var bell = Context.Render<NotificationBell>(p => p.AddCascadingValue(Task.FromResult(new AuthenticationState(principal))));
        Assert.Equal("0", bell.Find("[data-testid=notification-count]").TextContent);

        await notifications.RaiseAsync(new ProblemReport(ProblemKeys.Credential(7), NotificationCategory.EmailProcessing, "Mailbox 'Sales' cannot be read", "Access denied."));
        bell.WaitForAssertion(() => Assert.Equal("1", bell.Find("[data-testid=notification-count]").TextContent));

        await notifications.ResolveAsync(ProblemKeys.Credential(7));
        bell.WaitForAssertion(() => Assert.Equal("2", bell.Find("[data-testid=notification-count]").TextContent));

        await notifications.MarkAllReadAsync(agent.Id);
        bell.WaitForAssertion(() => Assert.Equal("0", bell.Find("[data-testid=notification-count]").TextContent));
    }
}
