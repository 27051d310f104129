using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HaloPortal.E2E.Pages;

/// <summary>Configuration › Email › Mailboxes: the list and its New mailbox dialog.</summary>
public sealed partial class MailboxListPage(IPage page)
{
    /// <summary>Creates a mailbox and returns its page (the portal opens it on the Credentials tab).</summary>
    public async Task<MailboxPage> CreateAsync(string name)
    {
        await page.GotoAsync("/configuration/email/mailboxes");
        await page.WaitForInteractiveAsync();
        await page.GetByTestId("new-mailbox").First.ClickAsync();
        await page.GetByTestId("mailbox-name").FillAsync(name);
        await page.GetByTestId("create-mailbox").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(MailboxUrl());
        await page.WaitForInteractiveAsync();
        return new MailboxPage(page);
    }

    [GeneratedRegex(@"/configuration/email/mailboxes/\d+\?tab=credentials")]
    private static partial Regex MailboxUrl();
}

/// <summary>A mailbox (/configuration/email/mailboxes/{id}): credentials, incoming settings and import, inbound log.</summary>
public sealed class MailboxPage(IPage page)
{
    public ILocator Card => page.GetByTestId("credential-card").First;

    public async Task GotoAsync(int id, string tab)
    {
        await page.GotoAsync($"/configuration/email/mailboxes/{id}?tab={tab}");
        await page.WaitForInteractiveAsync();
        await page.AssertNotAnErrorPageAsync();
    }

    public async Task<CredentialEditorPage> NewCredentialsAsync()
    {
        await page.GetByTestId("new-credentials").ClickAsync();
        var editor = new CredentialEditorPage(page);
        await editor.AssertShownAsync();
        return editor;
    }

    public async Task TestConnectionAsync(string expectedAddress)
    {
        await Card.GetByTestId("test-connection").ClickAsync();
        await Assertions.Expect(page.GetByTestId("test-success")).ToContainTextAsync(expectedAddress, new() { Timeout = 60_000 });
    }

    public async Task<CredentialEditorPage> EditAsync()
    {
        await Card.GetByTestId("edit-credential").ClickAsync();
        var editor = new CredentialEditorPage(page);
        await editor.AssertShownAsync();
        return editor;
    }

    /// <summary>The Webhook subscription panel of the (first) credential card.</summary>
    public ILocator Subscription => Card.GetByTestId("subscription-panel");

    /// <summary>Create subscription on the card; returns the Graph subscription ID once the panel shows it Active.</summary>
    public async Task<string> CreateSubscriptionAsync()
    {
        await Subscription.GetByTestId("create-subscription").ClickAsync();
        await Assertions.Expect(Subscription.GetByTestId("subscription-status")).ToHaveTextAsync("Active", new() { Timeout = 60_000 });
        return (await Subscription.GetByTestId("subscription-id").TextContentAsync())!.Trim();
    }

    /// <summary>Cancel subscription on the card, confirmed in the dialog; returns once the panel no longer shows it live.</summary>
    public async Task CancelSubscriptionAsync()
    {
        await Subscription.GetByTestId("cancel-subscription").ClickAsync();
        await page.GetByTestId("confirm-ok").ClickAsync();
        await Assertions.Expect(Subscription.GetByTestId("create-subscription")).ToBeVisibleAsync(new() { Timeout = 60_000 });
    }

    /// <summary>Incoming tab: sets the switch and the maximum email size, then saves.</summary>
    public async Task SaveIncomingAsync(bool? enabled = null, int? maxSizeMb = null)
    {
        if (enabled is { } on)
        {
            await page.TickAsync("incoming-enabled", on);
        }

        if (maxSizeMb is { } size)
        {
            await page.GetByTestId("max-size").FillAsync(size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await page.GetByTestId("max-size").BlurAsync();
        }

        await page.GetByTestId("save-incoming").ClickAsync();
        await Assertions.Expect(page.GetByText("Incoming settings saved", new() { Exact = false }).First).ToBeVisibleAsync();
    }

    /// <summary>Incoming tab › Import emails; returns the report panel once the import finished (the report of the new run, not the one shown before).</summary>
    public async Task<ILocator> ImportAsync()
    {
        var report = page.GetByTestId("import-report");
        var before = await report.CountAsync() == 0 ? null : await report.GetAttributeAsync("data-run-id");
        await page.GetByTestId("import-now").ClickAsync();
        var current = before is null ? report : page.Locator($"[data-testid='import-report']:not([data-run-id='{before}'])");
        await Assertions.Expect(current).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByTestId("import-progress")).ToHaveCountAsync(0);
        return report;
    }

    /// <summary>Incoming tab › Import history: the row of the run with this id.</summary>
    public ILocator HistoryRow(string runId) =>
        page.GetByTestId("import-history").Locator("tr", new() { Has = page.Locator($"[data-testid='import-history-open'][data-run-id='{runId}']") });

    /// <summary>The inbound log row (this mailbox's tab or Backend Service Monitoring) of the email with this subject.</summary>
    public static ILocator LogRow(IPage page, string subject) =>
        page.GetByTestId("inbound-log").Locator("tr", new() { Has = page.Locator("[data-testid='inbound-subject']", new() { HasText = subject }) });
}

/// <summary>The credential editor (new or edit).</summary>
public sealed class CredentialEditorPage(IPage page)
{
    public ILocator TenantId => page.GetByTestId("tenant-id");

    public ILocator ClientId => page.GetByTestId("client-id");

    public ILocator ClientSecret => page.GetByTestId("client-secret");

    public async Task AssertShownAsync()
    {
        await Assertions.Expect(page.GetByTestId("azure-app")).ToBeVisibleAsync();
        await page.WaitForInteractiveAsync();
    }

    /// <summary>Fills a Sandbox-authority credential and saves it; the portal returns to the mailbox's Credentials tab.</summary>
    /// <param name="webhooks">Processing method Webhooks (Client credentials only) instead of Mailbox scan.</param>
    public async Task SaveSandboxCredentialAsync(bool authorisationCode, string tenantId, string clientId, string secret, string? emailAddress, bool webhooks = false)
    {
        await FillSandboxCredentialAsync(authorisationCode, tenantId, clientId, secret, emailAddress, webhooks);
        await page.GetByTestId("save-credential").ClickAsync();
        await Assertions.Expect(page.GetByTestId("credential-card")).ToBeVisibleAsync();
        await page.WaitForInteractiveAsync();
    }

    /// <summary>Fills a Sandbox-authority credential without saving it.</summary>
    public async Task FillSandboxCredentialAsync(bool authorisationCode, string tenantId, string clientId, string secret, string? emailAddress, bool webhooks = false)
    {
        if (authorisationCode)
        {
            await page.Locator("label", new() { Has = page.GetByTestId("auth-method-authorization-code") }).First.ClickAsync();
            await Assertions.Expect(page.GetByTestId("shared-mailbox")).ToBeVisibleAsync();
        }

        if (webhooks)
        {
            await page.Locator("label", new() { Has = page.GetByTestId("processing-webhooks") }).First.ClickAsync();
            await Assertions.Expect(page.GetByText("Microsoft Graph notifies the portal as soon as mail arrives")).ToBeVisibleAsync();
        }

        await page.ChooseAsync(page.GetByTestId("authority"), "Sandbox");
        await TenantId.FillAsync(tenantId);
        await ClientId.FillAsync(clientId);
        await ClientSecret.FillAsync(secret);
        if (emailAddress is not null)
        {
            await page.GetByTestId("email-address").FillAsync(emailAddress);
        }
    }
}
