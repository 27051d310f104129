using System.Text.RegularExpressions;
using HaloPortal.E2E.Infrastructure;
using HaloPortal.E2E.Pages;
using Microsoft.Playwright;

namespace HaloPortal.E2E;

/// <summary>Issue 8 through the browser: an opted-in agent's bell when a signed-in mailbox's grant is revoked, and after re-authorising.</summary>
[Collection(AdminE2ECollection.Name)]
public sealed partial class NotificationTests(AdminE2EFixture fixture)
{
    [Fact]
    public Task An_opted_in_agent_is_notified_when_the_grant_is_revoked_and_again_when_reauthorising_recovers() =>
        fixture.RunAsync("notifications-reauthorise", async session =>
        {
            var page = session.Page;
            var sandbox = new SandboxScreen(page);
            var notifications = new NotificationScreens(page);
            var signIn = new SandboxSignInPage(page);
            var run = "r" + Guid.NewGuid().ToString("N")[..5]; // never all digits: a number is searched as a ticket number
            var mailboxName = $"Alex alerts {run}";
            var application = $"E2E alerts {run}";

            // A mailbox signed in with Authorisation code as the demo user.
            await sandbox.GotoAsync();
            var clientId = await sandbox.CreateApplicationAsync(application, [], ["User.Read", "Mail.ReadWrite", "Mail.Send", "offline_access"]);
            var (secret, _) = await sandbox.CreateSecretAsync(application);
            var tenantId = await sandbox.TenantIdAsync();
            var (user, password) = await sandbox.DemoUserAsync();
            var mailbox = await new MailboxListPage(page).CreateAsync(mailboxName);
            var mailboxId = int.Parse(MailboxId().Match(page.Url).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var editor = await mailbox.NewCredentialsAsync();
            await editor.SaveSandboxCredentialAsync(authorisationCode: true, tenantId, clientId, secret, emailAddress: null);
            await signIn.SignInAsync(mailbox.Card.GetByTestId("authorize"), user, password);
            await Assertions.Expect(mailbox.Card.GetByTestId("credential-status")).ToHaveAttributeAsync("data-status", "Connected");
            await session.StepAsync("mailbox-signed-in");

            await notifications.OptInToEmailProcessingErrorsAsync();
            await session.StepAsync("opted-in");
            var before = await notifications.UnreadAsync();

            // The sandbox revokes the user's grants: the next token refresh (Test connection forces one) fails with invalid_grant.
            await sandbox.GotoAsync("faults");
            await sandbox.RevokeGrantsAsync(user);
            await session.StepAsync("grants-revoked");
            await mailbox.GotoAsync(mailboxId, "credentials");
            await mailbox.Card.GetByTestId("test-connection").ClickAsync();
            await Assertions.Expect(mailbox.Card.GetByTestId("credential-status")).ToHaveAttributeAsync("data-status", "NeedsAttention", new() { Timeout = 60_000 });
            await Assertions.Expect(mailbox.Card.GetByTestId("reauthorise")).ToBeVisibleAsync();
            var raised = await notifications.WaitForMoreThanAsync(before);
            await Assertions.Expect(page.GetByTestId("notification-badge")).ToContainTextAsync(raised.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await session.StepAsync("needs-reauthorisation-bell-rose");

            // Re-authorising connects the credential again, which resolves the problem: a "Recovered" notification (unread, so the bell counts it too).
            await signIn.SignInAsync(mailbox.Card.GetByTestId("reauthorise"), user, password);
            await Assertions.Expect(mailbox.Card.GetByTestId("credential-status")).ToHaveAttributeAsync("data-status", "Connected");
            var recovered = await notifications.WaitForMoreThanAsync(raised);
            await session.StepAsync("reauthorised-recovery-counted");

            await notifications.Bell.ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(NotificationsUrl());
            await page.WaitForInteractiveAsync();
            var title = $"Mailbox '{mailboxName}' needs re-authorisation";
            var problem = notifications.Notification("Problem", title);
            var recovery = notifications.Notification("Recovered", title);
            await Assertions.Expect(problem).ToHaveCountAsync(1);
            await Assertions.Expect(recovery).ToHaveCountAsync(1);
            await Assertions.Expect(recovery.GetByTestId("notification-title")).ToHaveTextAsync($"Recovered: {title}");
            await Assertions.Expect(problem.GetByTestId("notification-fix")).ToBeVisibleAsync();
            await session.StepAsync("notifications-problem-and-recovery");

            // Reading them brings the bell down again.
            await recovery.GetByTestId("notification-mark-read").ClickAsync();
            await problem.GetByTestId("notification-mark-read").ClickAsync();
            await Assertions.Expect(notifications.Count).ToHaveTextAsync((recovered - 2).ToString(System.Globalization.CultureInfo.InvariantCulture));
            await session.StepAsync("marked-read");

            // The problem's error code links to its entry among the common errors: the catalogue opens filtered to it.
            await problem.GetByTestId("common-error-link").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(CommonErrorUrl());
            await page.WaitForInteractiveAsync();
            await page.AssertNotAnErrorPageAsync();
            var code = CommonErrorUrl().Match(page.Url).Groups[1].Value;
            await Assertions.Expect(page.GetByTestId("common-error")).ToHaveCountAsync(1);
            await Assertions.Expect(page.GetByTestId("common-error")).ToHaveAttributeAsync("data-code", Uri.UnescapeDataString(code));
            await session.StepAsync("common-error-entry");
        });

    [GeneratedRegex(@"/configuration/email/common-errors\?code=([^&]+)$")]
    private static partial Regex CommonErrorUrl();

    [GeneratedRegex(@"/configuration/email/mailboxes/(\d+)")]
    private static partial Regex MailboxId();

    [GeneratedRegex("/notifications$")]
    private static partial Regex NotificationsUrl();
}
