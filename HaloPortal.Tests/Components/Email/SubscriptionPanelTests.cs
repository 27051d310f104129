using Bunit;
using HaloPortal.Components.Pages.Configuration.Email.Components;
using HaloPortal.Engine.Credentials;

namespace HaloPortal.Tests.Components.Email;

/// <summary>The subscription panel on a Webhooks credential card: offered actions, and a refused creation shown with its fix.</summary>
public sealed class SubscriptionPanelTests
{
    [Fact]
    public async Task A_webhooks_credential_offers_Create_subscription_and_a_refusal_shows_what_to_fix()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        // The sandbox authority is routed to a closed port in this context: Graph cannot be reached.
        var credential = await ctx.CreateCredentialAsync(mailbox.Id, i =>
        {
            i.ProcessingMethod = ProcessingMethod.Webhooks;
            i.Authority = GraphAuthority.Sandbox;
        });
        var cut = ctx.RenderWithProviders<CredentialCard>(p => p.Add(c => c.Credential, credential).Add(c => c.MailboxName, mailbox.Name));

        cut.WaitForElement("[data-testid='subscription-panel']");
        Assert.NotNull(cut.Find("[data-testid='no-subscription']"));
        cut.Find("[data-testid='create-subscription']").Click();

        var error = cut.WaitForElement("[data-testid='known-error']", TimeSpan.FromSeconds(30));
        Assert.Contains("Subscription not created", error.TextContent);
        Assert.False(string.IsNullOrWhiteSpace(cut.Find("[data-testid='known-error-fix']").TextContent));
        Assert.NotNull(cut.Find("[data-testid='create-subscription']"));
    }

    [Fact]
    public async Task A_mailbox_scan_credential_has_no_subscription_panel()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        var credential = await ctx.CreateCredentialAsync(mailbox.Id, i => i.ProcessingMethod = ProcessingMethod.MailboxScan);

        var cut = ctx.RenderWithProviders<CredentialCard>(p => p.Add(c => c.Credential, credential).Add(c => c.MailboxName, mailbox.Name));

        Assert.Empty(cut.FindAll("[data-testid='subscription-panel']"));
    }
}
