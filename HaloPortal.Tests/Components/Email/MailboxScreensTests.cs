using Bunit;
using Bunit.TestDoubles;
using HaloPortal.Components.Pages.Configuration.Email;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Components.Email;

public sealed class MailboxScreensTests
{
    [Fact]
    public async Task The_list_explains_the_steps_when_empty_then_shows_a_created_mailbox()
    {
        await using var ctx = new EmailTestContext();
        var list = ctx.RenderWithProviders<MailboxList>();
        list.WaitForElement("[data-testid='mailboxes-empty']");
        Assert.Contains("Add credentials", list.ByTestId("mailboxes-empty").TextContent);

        list.ByTestId("new-mailbox").Click();
        ctx.Dialogs.WaitForElement("[data-testid='mailbox-name']").Input("Support");
        ctx.Dialogs.Find("[data-testid='create-mailbox']").Click();

        var navigation = ctx.Services.GetRequiredService<NavigationManager>();
        list.WaitForAssertion(() => Assert.Contains("/configuration/email/mailboxes/", navigation.Uri));
        list.WaitForAssertion(() => Assert.Equal("Support", list.ByTestId("mailbox-row").TextContent.Trim()));
        Assert.False(list.Has("mailboxes-empty"));
        Assert.Equal("None", list.ByTestId("credential-status").GetAttribute("data-status"));
    }

    [Fact]
    public async Task A_duplicate_name_is_refused_in_the_dialog()
    {
        await using var ctx = new EmailTestContext();
        await ctx.CreateMailboxAsync("Support");
        var list = ctx.RenderWithProviders<MailboxList>();
        list.WaitForElement("[data-testid='mailbox-row']");

        list.ByTestId("new-mailbox").Click();
        ctx.Dialogs.WaitForElement("[data-testid='mailbox-name']").Input("Support");
        ctx.Dialogs.Find("[data-testid='create-mailbox']").Click();

        ctx.Dialogs.WaitForAssertion(() => Assert.Contains("already exists", ctx.Dialogs.Markup));
    }

    [Fact]
    public async Task The_list_shows_this_instances_status_and_the_number_of_credential_sets()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        await ctx.CreateCredentialAsync(mailbox.Id);
        await ctx.CreateCredentialAsync(mailbox.Id, i => i.Instance = PortalInstance.UAT);

        var list = ctx.RenderWithProviders<MailboxList>();
        list.WaitForElement("[data-testid='mailbox-row']");

        Assert.Equal("NotTested", list.ByTestId("credential-status").GetAttribute("data-status"));
        Assert.Contains("Not tested since changed", list.ByTestId("credential-status").TextContent);
        Assert.Contains(">2<", list.Find("[data-testid='mailboxes-table'] tbody").InnerHtml.Replace(" ", ""));
    }

    [Fact]
    public async Task The_credentials_tab_marks_which_set_this_deployment_processes()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        await ctx.CreateCredentialAsync(mailbox.Id);
        await ctx.CreateCredentialAsync(mailbox.Id, i => i.Instance = PortalInstance.UAT);
        var page = ctx.RenderMailboxPage(mailbox.Id, "?tab=credentials");
        page.WaitForElement("[data-testid='credential-card']");

        Assert.Contains("This deployment processes Production credentials", page.ByTestId("deployment-instance").TextContent);
        Assert.Equal(2, page.FindAll("[data-testid='credential-card']").Count);
        Assert.Single(page.FindAll("[data-testid='processed-here']"));
        Assert.Contains("Not processed here (this deployment is Production)", page.ByTestId("not-processed-here").TextContent);
        Assert.Contains("Client credentials · Client secret · Webhooks · Microsoft Graph Global Service", page.ByTestId("credential-summary").TextContent);
        Assert.True(page.Has("test-connection"));
        Assert.False(page.Has("authorize"));
        Assert.True(page.ByTestId("new-credentials").IsDisabled() == false);
    }

    [Fact]
    public async Task A_failed_sign_in_shows_the_catalogued_error_with_its_fix()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        var credential = await ctx.CreateCredentialAsync(mailbox.Id, i => i.AuthMethod = AuthMethod.AuthorizationCode);

        var page = ctx.RenderMailboxPage(mailbox.Id, $"?tab=credentials&credential={credential.Id}&signin=failed&code=AADSTS50011");
        page.WaitForElement("[data-testid='signin-failed']");

        var alert = page.Find("[data-testid='signin-failed'] [data-testid='known-error']");
        Assert.Equal("AADSTS50011", alert.GetAttribute("data-code"));
        Assert.Contains("Sign-in failed: Redirect URI not registered", alert.TextContent);
        Assert.Contains("How to fix:", page.Find("[data-testid='signin-failed'] [data-testid='known-error-fix']").TextContent);
        Assert.Contains("App registrations > Authentication", alert.TextContent);
    }

    [Fact]
    public async Task Authorize_warns_about_whose_inbox_is_processed_then_starts_the_sign_in()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        var credential = await ctx.CreateCredentialAsync(mailbox.Id, i => i.AuthMethod = AuthMethod.AuthorizationCode);
        var page = ctx.RenderMailboxPage(mailbox.Id, "?tab=credentials");
        page.WaitForElement("[data-testid='authorize']").Click();

        var warning = ctx.Dialogs.WaitForElement("[data-testid='signin-warning']");
        Assert.Contains("The inbox of the account that signs in will be processed", warning.TextContent);
        Assert.Contains("Shared mailbox", warning.TextContent);
        ctx.Dialogs.Find("[data-testid='signin-continue']").Click();

        var navigation = (BunitNavigationManager)ctx.Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.Contains($"/credentials/{credential.Id}/authorize?returnUrl=", navigation.Uri));
        Assert.True(navigation.History.First().Options.ForceLoad);
        Assert.Contains(Uri.EscapeDataString($"/configuration/email/mailboxes/{mailbox.Id}?tab=credentials"), navigation.Uri);
    }

    [Fact]
    public async Task A_credential_needing_re_authorisation_offers_Reauthorise_and_shows_its_error()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        var credential = await ctx.CreateCredentialAsync(mailbox.Id, i => i.AuthMethod = AuthMethod.AuthorizationCode);
        await ctx.SetStateAsync(credential.Id, CredentialStatus.NeedsReauthorisation, "AADSTS700082");

        var page = ctx.RenderMailboxPage(mailbox.Id, "?tab=credentials");
        page.WaitForElement("[data-testid='credential-card']");

        Assert.Equal("NeedsAttention", page.ByTestId("credential-status").GetAttribute("data-status"));
        Assert.True(page.Has("reauthorise"));
        Assert.False(page.Has("authorize"));
        Assert.True(page.Has("disconnect"));
        Assert.Contains("Click Reauthorise", page.ByTestId("known-error-fix").TextContent);
    }

    [Fact]
    public async Task Secret_expiry_is_warned_30_days_ahead_and_an_error_once_past()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        await ctx.CreateCredentialAsync(mailbox.Id, i => i.SecretExpiresAt = EmailTestContext.Now.AddDays(20));

        var page = ctx.RenderMailboxPage(mailbox.Id, "?tab=credentials");
        page.WaitForElement("[data-testid='credential-card']");
        Assert.Contains("expires on 2026-03-30 (20 days)", page.ByTestId("expiry-warning").TextContent);
        Assert.False(page.Has("expiry-error"));

        ctx.Clock.Advance(TimeSpan.FromDays(21));
        page.Render();
        Assert.Contains("expired on 2026-03-30", page.ByTestId("expiry-error").TextContent);
    }

    [Fact]
    public async Task Deleting_a_mailbox_asks_by_name_then_returns_to_the_list()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync("IT Helpdesk");
        var page = ctx.RenderMailboxPage(mailbox.Id);
        page.WaitForElement("[data-testid='delete-mailbox']").Click();

        Assert.Contains("Delete the mailbox 'IT Helpdesk'?", ctx.Dialogs.WaitForElement("[data-testid='confirm-message']").TextContent);
        ctx.Dialogs.Find("[data-testid='confirm-ok']").Click();

        var navigation = ctx.Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.EndsWith("/configuration/email/mailboxes", navigation.Uri));
        Assert.Null(await ctx.Mailboxes.GetAsync(mailbox.Id));
    }

    [Fact]
    public async Task Renaming_saves_the_new_name()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync("Support");
        var page = ctx.RenderMailboxPage(mailbox.Id);
        page.WaitForElement("[data-testid='mailbox-name']").Input("Service Desk");
        page.ByTestId("save-mailbox").Click();

        page.WaitForAssertion(() => Assert.Equal("Service Desk", page.Find("#page-title").TextContent));
        Assert.Equal("Service Desk", (await ctx.Mailboxes.GetAsync(mailbox.Id))!.Name);
    }

    [Fact]
    public async Task The_chosen_tab_is_kept_in_the_address_so_a_reload_opens_it_again()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        var navigation = ctx.Services.GetRequiredService<NavigationManager>();
        var page = ctx.RenderMailboxPage(mailbox.Id);

        page.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Incoming").Click();
        page.WaitForAssertion(() => Assert.EndsWith($"/configuration/email/mailboxes/{mailbox.Id}?tab=incoming", navigation.Uri, StringComparison.Ordinal));

        page.FindAll(".mud-tab").Single(t => t.TextContent.Trim().StartsWith("Credentials", StringComparison.Ordinal)).Click();
        page.WaitForAssertion(() => Assert.EndsWith("?tab=credentials", navigation.Uri, StringComparison.Ordinal));

        page.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Details").Click();
        page.WaitForAssertion(() => Assert.EndsWith($"/configuration/email/mailboxes/{mailbox.Id}", navigation.Uri, StringComparison.Ordinal));
        Assert.Contains("Details", page.Find(".mud-tab-active").TextContent, StringComparison.Ordinal);

        // Opening the page at such an address shows that tab: The_credentials_tab_marks_which_set_this_deployment_processes opens ?tab=credentials.
    }
}
