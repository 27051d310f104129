using System.Text.RegularExpressions;
using HaloPortal.E2E.Infrastructure;
using HaloPortal.E2E.Pages;
using Microsoft.Playwright;

namespace HaloPortal.E2E;

/// <summary>Issues 4 and 5 through the browser, against the portal's own sandbox tenant, as a signed-in administrator.</summary>
[Collection(AdminE2ECollection.Name)]
public sealed partial class SandboxTests(AdminE2EFixture fixture)
{
    /// <summary>The seeded demo mailbox "Support (sandbox)", connected to support@contoso.sandbox.</summary>
    private const int DemoMailboxId = 1;

    [Fact]
    public Task Client_credentials_from_an_app_registered_on_the_sandbox_screen_connect_and_a_pasted_secret_id_is_refused_at_once() =>
        fixture.RunAsync("sandbox-client-credentials", async session =>
        {
            var page = session.Page;
            var sandbox = new SandboxScreen(page);
            await sandbox.GotoAsync();
            await session.StepAsync("sandbox-screen");

            const string address = "helpdesk@contoso.sandbox";
            await sandbox.CreateSharedMailboxAsync(address, "Contoso Helpdesk");
            var clientId = await sandbox.CreateApplicationAsync("E2E client credentials", ["Mail.ReadWrite", "Mail.Send", "User.Read.All"], []);
            await session.StepAsync("application-registered");
            var (value, secretId) = await sandbox.CreateSecretAsync("E2E client credentials", () => session.StepAsync("secret-value-shown-once"));
            Assert.NotEqual(value, secretId);
            var tenantId = await sandbox.TenantIdAsync();
            await session.StepAsync("secret-listed-by-id");

            var mailbox = await new MailboxListPage(page).CreateAsync("Helpdesk (E2E)");
            var editor = await mailbox.NewCredentialsAsync();
            await editor.SaveSandboxCredentialAsync(authorisationCode: false, tenantId, clientId, value, address);
            await session.StepAsync("credential-saved");

            await mailbox.TestConnectionAsync(address);
            await session.StepAsync("test-connection-succeeded");

            editor = await mailbox.EditAsync();
            await editor.ClientSecret.FillAsync(secretId);
            await Assertions.Expect(page.GetByText("This looks like the secret ID")).ToBeVisibleAsync();
            await session.StepAsync("secret-id-refused");
        });

    [Fact]
    public Task Authorisation_code_sign_in_on_the_sandbox_page_connects_the_mailbox_and_locks_the_credential() =>
        fixture.RunAsync("sandbox-authorisation-code", async session =>
        {
            var page = session.Page;
            var sandbox = new SandboxScreen(page);
            await sandbox.GotoAsync();
            var redirect = fixture.Portal.BaseAddress + "authcallback";
            var clientId = await sandbox.CreateApplicationAsync("E2E delegated", [], ["User.Read", "Mail.ReadWrite", "Mail.Send", "offline_access"],
                beforeRegister: async () =>
                {
                    await Assertions.Expect(page.GetByTestId("application-redirect-uris")).ToHaveValueAsync(redirect);
                    await session.StepAsync("new-delegated-application");
                });
            var (secret, _) = await sandbox.CreateSecretAsync("E2E delegated");
            var tenantId = await sandbox.TenantIdAsync();
            var (user, password) = await sandbox.DemoUserAsync();
            await session.StepAsync("demo-credentials");

            var mailbox = await new MailboxListPage(page).CreateAsync("Alex (E2E)");
            var editor = await mailbox.NewCredentialsAsync();
            await editor.SaveSandboxCredentialAsync(authorisationCode: true, tenantId, clientId, secret, emailAddress: null);
            await session.StepAsync("credential-saved");

            await new SandboxSignInPage(page).SignInAsync(mailbox.Card.GetByTestId("authorize"), user, password, step => session.StepAsync(step));
            await Assertions.Expect(mailbox.Card.GetByTestId("connected-address")).ToContainTextAsync(user);
            await Assertions.Expect(mailbox.Card.GetByTestId("locked")).ToBeVisibleAsync();
            await session.StepAsync("connected");

            editor = await mailbox.EditAsync();
            await Assertions.Expect(page.GetByTestId("locked-alert")).ToBeVisibleAsync();
            await Assertions.Expect(editor.TenantId).ToBeDisabledAsync();
            await Assertions.Expect(editor.ClientId).ToBeDisabledAsync();
            await Assertions.Expect(page.GetByTestId("save-credential")).ToBeDisabledAsync();
            await session.StepAsync("editor-locked");
        });

    [Fact]
    public Task Mail_delivered_on_the_sandbox_screen_becomes_tickets_replies_thread_auto_replies_are_ignored_and_failures_are_logged() =>
        fixture.RunAsync("sandbox-ingestion", async session =>
        {
            var page = session.Page;
            var sandbox = new SandboxScreen(page);
            var mailbox = new MailboxPage(page);
            var run = "r" + Guid.NewGuid().ToString("N")[..5]; // never all digits: a number is searched as a ticket number
            var subject = $"Printer jammed {run}";

            // Only "Import emails" reads the demo mailbox in this test: scheduled scans of it are switched off.
            await mailbox.GotoAsync(DemoMailboxId, "incoming");
            await mailbox.SaveIncomingAsync(enabled: false);
            await session.StepAsync("scheduled-scans-off");

            // A new email opens a ticket.
            await sandbox.GotoAsync("mail");
            await sandbox.DeliverAsync(SandboxScreen.SupportMailbox, subject, "The printer on floor 2 is jammed.");
            await session.StepAsync("mail-delivered");
            await mailbox.GotoAsync(DemoMailboxId, "incoming");
            var report = await mailbox.ImportAsync();
            await Assertions.Expect(report.GetByTestId("count-created")).ToHaveTextAsync("1");
            await session.StepAsync("imported-created-1");
            await page.GotoAsync("/tickets");
            await page.WaitForInteractiveAsync();
            var ticketRow = page.GetByTestId("tickets").Locator("tr", new() { Has = page.GetByTestId("ticket-subject").Filter(new() { HasText = subject }) });
            await Assertions.Expect(ticketRow).ToHaveCountAsync(1);
            await session.StepAsync("ticket-listed");

            // A reply (picked in the viewer, now in the Processed folder) updates the same ticket.
            await sandbox.GotoAsync("mail");
            await sandbox.ViewAsync(SandboxScreen.SupportMailbox, "Processed");
            await Assertions.Expect(sandbox.ViewerMessage(subject)).ToBeVisibleAsync();
            await session.StepAsync("viewer-processed-folder");
            await sandbox.ReplyAsync(subject, "It is working again, thanks.");
            await session.StepAsync("reply-delivered");
            await mailbox.GotoAsync(DemoMailboxId, "incoming");
            report = await mailbox.ImportAsync();
            await Assertions.Expect(report.GetByTestId("count-updated")).ToHaveTextAsync("1");
            await Assertions.Expect(report.GetByTestId("count-created")).ToHaveTextAsync("0");
            await page.GotoAsync("/tickets");
            await page.WaitForInteractiveAsync();
            await ticketRow.GetByTestId("ticket-link").ClickAsync();
            await Assertions.Expect(page.GetByTestId("ticket-message")).ToHaveCountAsync(2);
            await session.StepAsync("ticket-has-2-messages");

            // An automatic reply is ignored, with the reason in Backend Service Monitoring.
            var autoSubject = $"Out of office {run}";
            await sandbox.GotoAsync("mail");
            await sandbox.DeliverAsync(SandboxScreen.SupportMailbox, autoSubject, "I am away until Monday.", autoReply: true);
            await mailbox.GotoAsync(DemoMailboxId, "incoming");
            report = await mailbox.ImportAsync();
            await Assertions.Expect(report.GetByTestId("count-ignored")).ToHaveTextAsync("1");
            await page.GotoAsync("/configuration/advanced/backend-service-monitoring");
            await page.WaitForInteractiveAsync();
            var ignored = MailboxPage.LogRow(page, autoSubject);
            await Assertions.Expect(ignored.GetByTestId("status-chip")).ToHaveAttributeAsync("data-status", "Ignored");
            await Assertions.Expect(ignored).ToContainTextAsync(AutoReplyReason());
            await session.StepAsync("auto-reply-ignored");

            // Graph failing (a FailRequests fault on the mailbox): the import reports the error.
            await sandbox.GotoAsync("faults");
            await sandbox.AddFailRequestsAsync(SandboxScreen.SupportMailbox, 500, 1000);
            await session.StepAsync("fault-added");
            await sandbox.GotoAsync("mail");
            var outageSubject = $"During the outage {run}";
            await sandbox.DeliverAsync(SandboxScreen.SupportMailbox, outageSubject, "Is anyone there?");
            await mailbox.GotoAsync(DemoMailboxId, "incoming");
            report = await mailbox.ImportAsync();
            await Assertions.Expect(report.GetByTestId("import-error")).ToBeVisibleAsync();
            await session.StepAsync("import-failed-with-fault");
            await sandbox.GotoAsync("faults");
            await sandbox.ClearFaultsAsync();
            await session.StepAsync("faults-cleared");

            // Oversized mail fails with the reason, and a replay after raising the limit processes it.
            await mailbox.GotoAsync(DemoMailboxId, "incoming");
            await mailbox.SaveIncomingAsync(maxSizeMb: 1);
            var bigSubject = $"Scanned contract {run}";
            await sandbox.GotoAsync("mail");
            var attachment = new FilePayload { Name = "contract.pdf", MimeType = "application/pdf", Buffer = new byte[2 * 1024 * 1024] };
            await sandbox.DeliverAsync(SandboxScreen.SupportMailbox, bigSubject, "The signed contract is attached.", attachment: attachment);
            await mailbox.GotoAsync(DemoMailboxId, "incoming");
            report = await mailbox.ImportAsync();
            await Assertions.Expect(report.GetByTestId("count-failed")).ToHaveTextAsync("1");
            var failure = report.GetByTestId("import-failure");
            await Assertions.Expect(failure).ToContainTextAsync(bigSubject);
            await Assertions.Expect(failure).ToContainTextAsync("MB limit");
            await session.StepAsync("oversized-failed");
            await mailbox.GotoAsync(DemoMailboxId, "inbound-log");
            var failed = MailboxPage.LogRow(page, bigSubject);
            await Assertions.Expect(failed.GetByTestId("status-chip")).ToHaveAttributeAsync("data-status", "Failed");
            await Assertions.Expect(failed).ToContainTextAsync("MB limit");
            await session.StepAsync("inbound-log-failed");

            await mailbox.GotoAsync(DemoMailboxId, "incoming");
            await mailbox.SaveIncomingAsync(maxSizeMb: 25);
            await mailbox.GotoAsync(DemoMailboxId, "inbound-log");
            await failed.GetByTestId("inbound-row-link").ClickAsync();
            await page.WaitForInteractiveAsync();
            // The record opens on its Requests tab.
            await page.GetByTestId("replay-request").First.ClickAsync();
            await Assertions.Expect(page.GetByTestId("replay-result")).ToBeVisibleAsync(new() { Timeout = 60_000 });
            await page.Locator(".mud-tab").Filter(new() { HasText = "Details" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("inbound-summary").GetByTestId("status-chip")).ToHaveAttributeAsync("data-status", "Processed");
            await session.StepAsync("replayed-processed");

            await mailbox.GotoAsync(DemoMailboxId, "incoming");
            await mailbox.SaveIncomingAsync(enabled: true);
        });

    [GeneratedRegex("(?i)auto")]
    private static partial Regex AutoReplyReason();
}
