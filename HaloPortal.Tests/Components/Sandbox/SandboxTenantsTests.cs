using Bunit;
using HaloPortal.Components.Layout;
using HaloPortal.Engine.Portal;

namespace HaloPortal.Tests.Components.Sandbox;

public sealed class SandboxTenantsTests : SandboxScreenTest
{
    [Fact]
    public async Task The_demo_tenant_card_shows_the_demo_user_password_and_apps()
    {
        var page = await OpenAsync();

        var card = page.WaitForElement($"[data-testid='tenant-card'][data-tenant-id='{Demo.TenantId}']");
        Assert.Equal(Demo.UserPrincipalName, page.ByTestId("demo-user").TextContent);
        Assert.Equal(Demo.UserPassword, page.ByTestId("demo-password").TextContent);
        Assert.Equal(Demo.TenantId.ToString(), card.QuerySelector("[data-testid='tenant-id']")!.TextContent);
        var app = page.Find($"[data-testid='application'][data-app-id='{Demo.AppId}']");
        Assert.Contains("Admin consent granted", app.QuerySelector("[data-testid='app-consent']")!.TextContent);
        Assert.NotNull(app.QuerySelector("[data-testid='app-application-permissions'] [data-permission='Mail.ReadWrite']"));
        Assert.Contains("support@contoso.sandbox", page.FindAll("[data-testid='user-row']").Select(r => r.GetAttribute("data-upn")));
    }

    [Fact]
    public async Task A_new_application_gets_a_secret_whose_value_is_shown_once_apart_from_its_id()
    {
        var page = await OpenAsync();
        page.WaitForElement("[data-testid='new-application']").Click();

        Dialogs.WaitForElement("[data-testid='new-application-dialog']");
        Assert.Equal("http://localhost/authcallback", Dialogs.ByTestId("application-redirect-uris").TextContent.Trim());
        Dialogs.ByTestId("application-name").Input("Helpdesk");
        Dialogs.ByTestId("app-permission-mail-readwrite").Change(true);
        Dialogs.ByTestId("app-permission-mail-send").Change(true);
        Dialogs.ByTestId("application-create").Click();

        var card = page.WaitForElement("[data-testid='application'][data-name='Helpdesk']");
        var appId = Guid.Parse(card.GetAttribute("data-app-id")!);
        var registered = (await Control.ListApplicationsAsync(Demo.TenantId.ToString())).Single(a => a.AppId == appId);
        Assert.Equal(["Mail.ReadWrite", "Mail.Send"], registered.ApplicationPermissions);
        Assert.True(registered.AdminConsent);
        Assert.Equal(["http://localhost/authcallback"], registered.RedirectUris);
        Dialogs.WaitForAssertion(() => Assert.False(Dialogs.Has("new-application-dialog")));

        page.Find("[data-testid='application'][data-name='Helpdesk'] [data-testid='new-secret']").Click();
        Dialogs.WaitForElement("[data-testid='secret-description']").Change("Portal");
        Dialogs.ByTestId("secret-add").Click();

        var value = Dialogs.WaitForElement("[data-testid='secret-value']").GetAttribute("value")!;
        var secretId = Dialogs.ByTestId("secret-id").GetAttribute("value")!;
        Assert.Contains("Value", Dialogs.Markup);
        Assert.Contains("Secret ID", Dialogs.Markup);
        Assert.Contains("not shown again", Dialogs.ByTestId("secret-once-warning").TextContent);
        Assert.True(Guid.TryParse(secretId, out var id));
        Assert.False(Guid.TryParse(value, out _), "The value must not look like the secret ID.");
        Dialogs.ByTestId("secret-done").Click();

        // Afterwards only the ID and the first characters of the value are shown anywhere.
        var row = page.WaitForElement($"[data-testid='secret-row'][data-secret-id='{id}']");
        Assert.Equal(value[..3] + "*****", row.QuerySelector("[data-testid='secret-hint']")!.TextContent);
        page.WaitForAssertion(() => Assert.False(Dialogs.Has("secret-value")));
        Assert.DoesNotContain(value, page.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain(value, Dialogs.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shared_mailbox_user_is_added_with_its_delegate()
    {
        var page = await OpenAsync();
        page.WaitForElement("[data-testid='new-user']").Click();
        Dialogs.WaitForElement("[data-testid='user-upn']").Input("helpdesk@contoso.sandbox");
        Dialogs.ByTestId("user-display-name").Change("Helpdesk");
        Choose(Dialogs.ByTestId("user-delegates"), "alex@contoso.sandbox");
        Dialogs.ByTestId("user-create").Click();

        var row = page.WaitForElement("[data-testid='user-row'][data-upn='helpdesk@contoso.sandbox']");
        Assert.Equal("Shared", row.QuerySelector("[data-testid='user-mailbox-type']")!.TextContent.Trim());
        Assert.Contains("alex@contoso.sandbox", row.TextContent);
        Assert.Equal("0", row.QuerySelector("[data-testid='user-inbox-count']")!.TextContent);
    }

    [Fact]
    public async Task The_navigation_offers_the_sandbox_to_administrators_only()
    {
        await SignedInAsAsync("agent@example.com", PortalRoles.Agent);
        var menu = Context.Render<NavMenu>();
        Assert.DoesNotContain("/tools/sandbox", menu.FindAll("a").Select(a => a.GetAttribute("href")));
    }

    [Fact]
    public async Task The_navigation_offers_the_sandbox_to_an_administrator_while_it_is_enabled()
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);
        var menu = Context.Render<NavMenu>();
        Assert.Contains("/tools/sandbox", menu.FindAll("a").Select(a => a.GetAttribute("href")));
    }
}
