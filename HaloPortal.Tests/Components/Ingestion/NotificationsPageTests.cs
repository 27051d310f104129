using Bunit;
using HaloPortal.Components.Pages.Notifications;
using HaloPortal.Engine.Notifications;
using HaloPortal.Engine.Portal;

namespace HaloPortal.Tests.Components.Ingestion;

/// <summary>Issue 14 item 8: "Fix it" leads only where the reader may go, and a recovered problem offers none.</summary>
public sealed class NotificationsPageTests
{
    private static async Task SeedAsync(IngestionTestContext ctx)
    {
        await using var db = await ctx.Contexts.CreateDbContextAsync();
        db.Add(new HaloPortal.Engine.Accounts.PortalUser { Id = IngestionTestContext.UserId, UserName = "user@example.com", Email = "user@example.com" });
        const string link = "/configuration/email/mailboxes/1?tab=credentials&credential=1";
        var problem = new Problem
        {
            Key = "credential:1", Category = NotificationCategory.EmailProcessing, Title = "Mailbox 'Support' cannot be read",
            Message = "Access denied (ErrorAccessDenied)", Fix = "Grant access.", Link = link, OpenedAt = IngestionTestContext.Now, LastSeenAt = IngestionTestContext.Now,
        };
        db.Add(problem);
        await db.SaveChangesAsync();
        foreach (var kind in new[] { NotificationKind.Problem, NotificationKind.Recovered })
        {
            db.Add(new Notification
            {
                UserId = IngestionTestContext.UserId, ProblemId = problem.Id, Kind = kind, Category = problem.Category,
                Title = (kind == NotificationKind.Recovered ? "Recovered: " : "") + problem.Title, Message = problem.Message,
                Fix = kind == NotificationKind.Problem ? problem.Fix : null, Link = link, CreatedAt = IngestionTestContext.Now,
            });
        }

        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task An_agent_is_told_an_administrator_fixes_it_instead_of_a_link_they_may_not_open()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Agent);
        await SeedAsync(ctx);

        var page = ctx.RenderWithProviders<NotificationsPage>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=notification-title]").Count));
        Assert.Empty(page.FindAll("[data-testid=notification-link]"));
        Assert.Single(page.FindAll("[data-testid=notification-admin-fixes]"));
    }

    [Fact]
    public async Task An_administrator_gets_Fix_it_on_the_problem_and_none_on_its_recovery()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        await SeedAsync(ctx);

        var page = ctx.RenderWithProviders<NotificationsPage>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=notification-title]").Count));
        var link = Assert.Single(page.FindAll("[data-testid=notification-link]"));
        Assert.Contains("tab=credentials", link.GetAttribute("href"));
        Assert.Empty(page.FindAll("[data-testid=notification-admin-fixes]"));
    }
}
