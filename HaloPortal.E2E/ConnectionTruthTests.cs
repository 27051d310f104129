using System.Text.RegularExpressions;
using HaloPortal.E2E.Infrastructure;
using HaloPortal.E2E.Pages;
using Microsoft.Playwright;

namespace HaloPortal.E2E;

/// <summary>
/// Issue 14 items 1, 2, 4 and 6 through the browser: one connection state, from the last real Graph call, on the list, the card
/// and the subscription panel; an import that Graph refuses says so; one address is read by one mailbox; a connected client credential is locked until disconnected.
/// </summary>
[Collection(AdminE2ECollection.Name)]
public sealed partial class ConnectionTruthTests(AdminE2EFixture fixture)
{
    private const string DemoApplication = "HaloPortal demo";

    [Fact]
    public Task The_connection_state_comes_from_the_last_Graph_call_and_is_the_same_on_every_screen() =>
        fixture.RunAsync("connection-truth", async session =>
        {
            var page = session.Page;
            var sandbox = new SandboxScreen(page);
            var run = "r" + Guid.NewGuid().ToString("N")[..5]; // never all digits: a number is searched as a ticket number
            var address = $"truth-{run}@{SandboxScreen.DemoDomain}";
            var name = $"Truth {run}";

            await sandbox.GotoAsync();
            await sandbox.CreateSharedMailboxAsync(address, name);
            var clientId = (await sandbox.Application(DemoApplication).GetByTestId("app-client-id").TextContentAsync())!.Trim();
            var (secret, _) = await sandbox.CreateSecretAsync(DemoApplication);
            var tenantId = await sandbox.TenantIdAsync();

            // Saved, never tested: "Not tested since changed" on the card and on the list, and no connected address claimed.
            var mailbox = await new MailboxListPage(page).CreateAsync(name);
            var mailboxId = int.Parse(MailboxId().Match(page.Url).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var editor = await mailbox.NewCredentialsAsync();
            await editor.SaveSandboxCredentialAsync(authorisationCode: false, tenantId, clientId, secret, address, webhooks: true);
            await Assertions.Expect(mailbox.Card.GetByTestId("credential-status")).ToHaveAttributeAsync("data-status", "NotTested");
            await Assertions.Expect(mailbox.Card.GetByTestId("connected-address")).ToContainTextAsync("Not verified yet");
            await Assertions.Expect(mailbox.Subscription.GetByTestId("subscription-connection-status")).ToHaveAttributeAsync("data-status", "NotTested");
            await session.StepAsync("saved-not-tested");
            await Assertions.Expect(await ListStatusAsync(page, name)).ToHaveAttributeAsync("data-status", "NotTested");
            await session.StepAsync("list-not-tested");

            // Create subscription without Test connection: the connection is tested first, so Active sits beside Connected.
            await mailbox.GotoAsync(mailboxId, "credentials");
            await mailbox.CreateSubscriptionAsync();
            await Assertions.Expect(mailbox.Card.GetByTestId("credential-status")).ToHaveAttributeAsync("data-status", "Connected");
            await Assertions.Expect(mailbox.Subscription.GetByTestId("subscription-connection-status")).ToHaveAttributeAsync("data-status", "Connected");
            await Assertions.Expect(mailbox.Card.GetByTestId("connected-address")).ToContainTextAsync(address);
            await Assertions.Expect(mailbox.Card.GetByTestId("locked")).ToContainTextAsync("locked while connected");
            await session.StepAsync("subscribed-connected");

            // Connected values are locked in the editor; the secret is not.
            editor = await mailbox.EditAsync();
            await Assertions.Expect(page.GetByTestId("values-locked-alert")).ToContainTextAsync(address);
            await Assertions.Expect(page.GetByTestId("email-address")).ToBeDisabledAsync();
            await Assertions.Expect(page.GetByTestId("tenant-id")).ToBeDisabledAsync();
            await Assertions.Expect(editor.ClientSecret).ToBeEnabledAsync();
            await session.StepAsync("editor-values-locked");

            // Graph refuses every call on the mailbox: the import says it stopped, with Graph's error, and the state follows.
            await sandbox.GotoAsync("faults");
            await sandbox.AddFailRequestsAsync(address, 403, 1000);
            await mailbox.GotoAsync(mailboxId, "incoming");
            var report = await mailbox.ImportAsync();
            await Assertions.Expect(report.GetByTestId("import-outcome")).ToContainTextAsync("Import stopped");
            await Assertions.Expect(report.GetByTestId("import-error")).ToContainTextAsync("ErrorAccessDenied");
            await session.StepAsync("import-stopped-access-denied");
            await page.SetViewportSizeAsync(390, 844);
            await session.StepAsync("import-stopped-access-denied-390");
            await page.SetViewportSizeAsync(1366, 860);
            await mailbox.GotoAsync(mailboxId, "credentials");
            await Assertions.Expect(mailbox.Card.GetByTestId("credential-status")).ToHaveAttributeAsync("data-status", "NeedsAttention");
            await Assertions.Expect(mailbox.Card.GetByTestId("known-error").First).ToHaveAttributeAsync("data-code", "ErrorAccessDenied");
            await session.StepAsync("card-needs-attention");
            await page.SetViewportSizeAsync(390, 844);
            await session.StepAsync("card-needs-attention-390");
            await page.SetViewportSizeAsync(1366, 860);
            await Assertions.Expect(await ListStatusAsync(page, name)).ToHaveAttributeAsync("data-status", "NeedsAttention");

            // Disconnect: mail stops, the subscription goes, the values unlock; Test connection connects it again.
            await sandbox.GotoAsync("faults");
            await sandbox.ClearFaultsAsync();
            await mailbox.GotoAsync(mailboxId, "credentials");
            await mailbox.Card.GetByTestId("disconnect").ClickAsync();
            await page.GetByTestId("confirm-ok").ClickAsync();
            await Assertions.Expect(mailbox.Card.GetByTestId("credential-status")).ToHaveAttributeAsync("data-status", "Disconnected");
            await Assertions.Expect(mailbox.Subscription.GetByTestId("create-subscription")).ToBeVisibleAsync();
            await session.StepAsync("disconnected");
            await mailbox.EditAsync();
            await Assertions.Expect(page.GetByTestId("email-address")).ToBeEnabledAsync();
            await page.GetByTestId("cancel-credential").ClickAsync();
            await page.WaitForInteractiveAsync();
            await mailbox.TestConnectionAsync(address);
            await Assertions.Expect(mailbox.Card.GetByTestId("credential-status")).ToHaveAttributeAsync("data-status", "Connected");
            await session.StepAsync("reconnected");
        });

    [Fact]
    public Task A_second_mailbox_on_an_address_another_mailbox_reads_is_refused_with_that_mailbox_named() =>
        fixture.RunAsync("address-taken", async session =>
        {
            var page = session.Page;
            var sandbox = new SandboxScreen(page);
            var run = "r" + Guid.NewGuid().ToString("N")[..5]; // never all digits: a number is searched as a ticket number
            var own = $"twin-{run}@{SandboxScreen.DemoDomain}";
            await sandbox.GotoAsync();
            await sandbox.CreateSharedMailboxAsync(own, $"Twin {run}");
            var clientId = (await sandbox.Application(DemoApplication).GetByTestId("app-client-id").TextContentAsync())!.Trim();
            var (secret, _) = await sandbox.CreateSecretAsync(DemoApplication);
            var tenantId = await sandbox.TenantIdAsync();

            // The seeded demo mailbox already reads support@ (however it is spelt): a second mailbox on it would open every ticket twice.
            var mailbox = await new MailboxListPage(page).CreateAsync($"Twin {run}");
            var editor = await mailbox.NewCredentialsAsync();
            await editor.FillSandboxCredentialAsync(authorisationCode: false, tenantId, clientId, secret, SandboxScreen.SupportMailbox.ToUpperInvariant());
            await page.GetByTestId("save-credential").ClickAsync();
            var refusal = page.GetByText($"{SandboxScreen.SupportMailbox} is already read by the mailbox 'Support (sandbox)'", new() { Exact = false }).First;
            await Assertions.Expect(refusal).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("credential-card")).ToHaveCountAsync(0);
            await session.StepAsync("address-taken");
            await page.SetViewportSizeAsync(390, 844);
            await refusal.ScrollIntoViewIfNeededAsync();
            await session.StepAsync("address-taken-390");
            await page.SetViewportSizeAsync(1366, 860);

            // Its own address saves.
            // Editing the address clears the refusal, which moves Save up: wait for it, or the click can land where Save was (CI saw that).
            await page.GetByTestId("email-address").FillAsync(own);
            await Assertions.Expect(refusal).ToHaveCountAsync(0);
            await page.GetByTestId("save-credential").ClickAsync();
            await Assertions.Expect(mailbox.Card.GetByTestId("credential-status")).ToHaveAttributeAsync("data-status", "NotTested");
            await session.StepAsync("own-address-saved");
        });

    /// <summary>The state chip of the mailbox's row on Configuration › Email › Mailboxes.</summary>
    private static async Task<ILocator> ListStatusAsync(IPage page, string mailboxName)
    {
        await page.GotoAsync("/configuration/email/mailboxes");
        await page.WaitForInteractiveAsync();
        var row = page.Locator("tr", new() { Has = page.GetByTestId("mailbox-row").Filter(new() { HasText = mailboxName }) });
        return row.GetByTestId("credential-status");
    }

    [GeneratedRegex(@"/configuration/email/mailboxes/(\d+)")]
    private static partial Regex MailboxId();
}
