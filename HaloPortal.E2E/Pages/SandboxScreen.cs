using Microsoft.Playwright;

namespace HaloPortal.E2E.Pages;

/// <summary>Sandbox (/tools/sandbox): tenants and apps, the mail composer and viewer, faults.</summary>
public sealed class SandboxScreen(IPage page)
{
    public const string DemoDomain = "contoso.sandbox";
    public const string SupportMailbox = "support@contoso.sandbox";

    /// <summary>The portal's seeded demo mailbox "Support (sandbox)", connected to <see cref="SupportMailbox"/>.</summary>
    public const int DemoMailboxId = 1;

    /// <summary>The demo tenant's licensed user (a mailbox of their own; signs in on the sandbox's sign-in page).</summary>
    public const string DemoUser = "alex@contoso.sandbox";

    public ILocator DemoTenant => page.Locator($"[data-testid='tenant-card'][data-domain='{DemoDomain}']");

    public ILocator Application(string name) => page.Locator($"[data-testid='application'][data-name='{name}']");

    public async Task GotoAsync(string section = "")
    {
        await page.GotoAsync(section == "" ? "/tools/sandbox" : $"/tools/sandbox/{section}");
        await Assertions.Expect(page.Locator("#page-title")).ToHaveTextAsync("Sandbox");
        await page.WaitForInteractiveAsync();
        await page.AssertNotAnErrorPageAsync();
        if (section == "")
        {
            await Assertions.Expect(DemoTenant).ToBeVisibleAsync();
        }
    }

    public async Task<string> TenantIdAsync() => (await DemoTenant.GetByTestId("tenant-id").TextContentAsync())!.Trim();

    public async Task<(string User, string Password)> DemoUserAsync() =>
        ((await page.GetByTestId("demo-user").TextContentAsync())!.Trim(), (await page.GetByTestId("demo-password").TextContentAsync())!.Trim());

    /// <summary>New user or mailbox: a shared mailbox in the demo tenant.</summary>
    public Task CreateSharedMailboxAsync(string upn, string displayName) => CreateUserAsync(upn, displayName, licensed: false);

    /// <summary>New user or mailbox in the demo tenant: a licensed user (their own mailbox) or a shared mailbox.</summary>
    public async Task CreateUserAsync(string upn, string displayName, bool licensed)
    {
        await DemoTenant.GetByTestId("new-user").ClickAsync();
        await page.GetByTestId("user-upn").FillAsync(upn);
        await page.GetByTestId("user-display-name").FillAsync(displayName);
        if (licensed)
        {
            await page.ChooseAsync(page.GetByTestId("user-type"), "Licensed", exact: true);
            await page.GetByTestId("user-password").FillAsync($"Sbx-{Guid.NewGuid():N}"[..16]);
        }

        await page.GetByTestId("user-create").ClickAsync();
        await Assertions.Expect(page.Locator($"[data-testid='user-row'][data-upn='{upn}']")).ToBeVisibleAsync();
    }

    /// <summary>New application in the demo tenant; returns its client ID as shown on its card.</summary>
    public async Task<string> CreateApplicationAsync(string name, string[] applicationPermissions, string[] delegatedPermissions, Func<Task>? beforeRegister = null)
    {
        await DemoTenant.GetByTestId("new-application").ClickAsync();
        var dialog = page.GetByTestId("new-application-dialog");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await page.GetByTestId("application-name").FillAsync(name);
        foreach (var permission in applicationPermissions)
        {
            await page.TickAsync($"app-permission-{Key(permission)}", true);
        }

        foreach (var permission in delegatedPermissions)
        {
            await page.TickAsync($"delegated-permission-{Key(permission)}", true);
        }

        await page.TickAsync("application-admin-consent", true);
        if (beforeRegister is not null)
        {
            await beforeRegister();
        }

        await page.GetByTestId("application-create").ClickAsync();
        await Assertions.Expect(Application(name)).ToBeVisibleAsync();
        return (await Application(name).GetByTestId("app-client-id").TextContentAsync())!.Trim();
    }

    /// <summary>New client secret on an app: returns the Value and the Secret ID read from the dialog (shown once).</summary>
    public async Task<(string Value, string SecretId)> CreateSecretAsync(string application, Func<Task>? whileShown = null)
    {
        await Application(application).GetByTestId("new-secret").ClickAsync();
        await page.GetByTestId("secret-description").FillAsync("HaloPortal E2E");
        await page.GetByTestId("secret-add").ClickAsync();
        await Assertions.Expect(page.GetByTestId("secret-once-warning")).ToBeVisibleAsync();
        var value = await page.GetByTestId("secret-value").InputValueAsync();
        var secretId = await page.GetByTestId("secret-id").InputValueAsync();
        if (whileShown is not null)
        {
            await whileShown();
        }

        await page.GetByTestId("secret-done").ClickAsync();
        await Assertions.Expect(page.GetByTestId("secret-value")).ToHaveCountAsync(0);
        await Assertions.Expect(Application(application).Locator($"[data-testid='secret-row'][data-secret-id='{secretId}']")).ToBeVisibleAsync();
        return (value, secretId);
    }

    /// <summary>Send test email (on the Mail section) to a mailbox; returns once the viewer lists it.</summary>
    /// <param name="from">The sender (the composer's default, a customer outside the sandbox, when null).</param>
    public async Task DeliverAsync(string to, string subject, string body, bool autoReply = false, FilePayload? attachment = null, string? from = null)
    {
        if (from is not null)
        {
            await page.GetByTestId("composer-from").FillAsync(from);
        }

        await page.ChooseAsync(page.GetByTestId("composer-to"), to);
        await page.GetByTestId("composer-subject").FillAsync(subject);
        await page.GetByTestId("composer-body").FillAsync(body);
        await page.TickAsync("composer-auto-reply", autoReply);
        if (attachment is not null)
        {
            await page.Locator("[data-testid='composer'] input[type=file]").SetInputFilesAsync(attachment);
            await Assertions.Expect(page.GetByTestId("composer-attachment")).ToContainTextAsync(attachment.Name);
        }

        await page.GetByTestId("composer-send").ClickAsync();
        await Assertions.Expect(page.GetByTestId("composer-delivered")).ToContainTextAsync(to);
        await Assertions.Expect(ViewerMessage(subject)).ToBeVisibleAsync();
    }

    /// <summary>The viewer's messages whose subject contains <paramref name="text"/> (e.g. a reply's "RE: [#12] …").</summary>
    public ILocator ViewerMessagesContaining(string text) => page.Locator("[data-testid='viewer-message']").Filter(new() { Has = page.GetByTestId("viewer-message-subject").Filter(new() { HasText = text }) });

    public ILocator ViewerMessage(string subject) => page.Locator($"[data-testid='viewer-message'][data-subject='{subject}']");

    /// <summary>Shows a folder of a mailbox in the viewer.</summary>
    public async Task ViewAsync(string mailbox, string folder)
    {
        await page.ChooseAsync(page.GetByTestId("viewer-mailbox"), mailbox);
        await page.ChooseAsync(page.GetByTestId("viewer-folder"), folder);
    }

    /// <summary>"Reply to" on a message in the viewer, then delivers the reply.</summary>
    public async Task ReplyAsync(string subject, string body)
    {
        await ViewerMessage(subject).GetByTestId("viewer-reply").ClickAsync();
        await Assertions.Expect(page.GetByTestId("composer-reply-to")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("composer-subject")).ToHaveValueAsync("RE: " + subject);
        await page.GetByTestId("composer-body").FillAsync(body);
        await page.GetByTestId("composer-send").ClickAsync();
        await Assertions.Expect(ViewerMessage("RE: " + subject)).ToBeVisibleAsync();
    }

    /// <summary>Faults section: a FailRequests fault on one mailbox.</summary>
    public async Task AddFailRequestsAsync(string mailbox, int status, int count)
    {
        await page.ChooseAsync(page.GetByTestId("fault-kind"), "Fail requests");
        await page.GetByTestId("fault-status").FillAsync(status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByTestId("fault-count").FillAsync(count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.ChooseAsync(page.GetByTestId("fault-mailbox"), mailbox);
        await page.GetByTestId("fault-add").ClickAsync();
        await Assertions.Expect(page.Locator($"[data-testid='fault-row'][data-kind='FailRequests'][data-mailbox='{mailbox}']")).ToContainTextAsync($"HTTP {status}");
    }

    /// <summary>Faults section: Revoke grants of one mailbox (immediate: it is not listed as an active fault).</summary>
    public async Task RevokeGrantsAsync(string mailbox)
    {
        await page.ChooseAsync(page.GetByTestId("fault-kind"), "Revoke grants");
        await page.ChooseAsync(page.GetByTestId("fault-mailbox"), mailbox);
        await page.GetByTestId("fault-add").ClickAsync();
        await Assertions.Expect(page.GetByText($"Revoke grants added for {mailbox}.").First).ToBeVisibleAsync();
    }

    public async Task ClearFaultsAsync()
    {
        await page.GetByTestId("faults-clear").ClickAsync();
        await Assertions.Expect(page.GetByTestId("faults-empty")).ToBeVisibleAsync();
    }

    private static string Key(string permission) => permission.Replace('.', '-').Replace('_', '-').ToLowerInvariant();
}
