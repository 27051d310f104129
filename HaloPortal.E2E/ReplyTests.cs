using HaloPortal.E2E.Infrastructure;
using HaloPortal.E2E.Pages;
using Microsoft.Playwright;

namespace HaloPortal.E2E;

/// <summary>
/// Issue 8 through the browser: an agent's reply is sent from the mailbox and reaches the requester's sandbox mailbox. Issue 14 item 3:
/// when the ticket's mailbox cannot send, the composer says so and the reply leaves from the default outgoing mailbox only when chosen.
/// </summary>
[Collection(AdminE2ECollection.Name)]
public sealed partial class ReplyTests(AdminE2EFixture fixture)
{
    [Fact]
    public Task A_reply_written_on_the_ticket_is_sent_and_arrives_in_the_requesters_sandbox_mailbox() =>
        fixture.RunAsync("ticket-reply", async session =>
        {
            var page = session.Page;
            var sandbox = new SandboxScreen(page);
            var mailbox = new MailboxPage(page);
            var tickets = new TicketScreens(page);
            var run = "r" + Guid.NewGuid().ToString("N")[..5]; // never all digits: a number is searched as a ticket number
            var subject = $"Laptop will not start {run}";

            // The requester is a licensed user of the sandbox tenant (their own mailbox for the reply to land in), and not a mailbox the
            // portal reads: mail from those is ignored (loop protection), and other tests connect alex@.
            var requester = $"requester.{run}@{SandboxScreen.DemoDomain}";
            await sandbox.GotoAsync();
            await sandbox.CreateUserAsync(requester, $"Riley Requester {run}", licensed: true);
            await sandbox.GotoAsync("mail");
            await sandbox.DeliverAsync(SandboxScreen.SupportMailbox, subject, "My laptop shows a black screen.", from: $"Riley Requester <{requester}>");
            await session.StepAsync("mail-delivered");
            await mailbox.GotoAsync(SandboxScreen.DemoMailboxId, "incoming");
            await mailbox.ImportAsync();
            await session.StepAsync("imported");

            await tickets.OpenAsync(subject);
            await Assertions.Expect(page.GetByTestId("ticket-requester")).ToContainTextAsync(requester);
            await Assertions.Expect(page.GetByTestId("reply-composer")).ToContainTextAsync($"Reply to {requester}");
            await session.StepAsync("ticket-opened");

            var text = $"Hold the power button for ten seconds, then start it again ({run}).";
            var reply = await tickets.ReplyAsync(text);
            await session.StepAsync("reply-queued");
            await Assertions.Expect(tickets.Messages).ToHaveCountAsync(2);
            await Assertions.Expect(reply.GetByTestId("outbound-status")).ToHaveAttributeAsync("data-status", "Sent", new() { Timeout = 60_000 });
            await Assertions.Expect(reply.GetByTestId("outbound-status")).ToContainTextAsync($"from {SandboxScreen.SupportMailbox}");
            await session.StepAsync("reply-sent");

            await sandbox.GotoAsync("mail");
            await sandbox.ViewAsync(requester, "Inbox");
            var received = sandbox.ViewerMessagesContaining(subject);
            await Assertions.Expect(received).ToHaveCountAsync(1);
            await Assertions.Expect(received.GetByTestId("viewer-message-subject")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex($"^RE: .*{subject}"));
            await Assertions.Expect(received).ToContainTextAsync(SandboxScreen.SupportMailbox);
            await session.StepAsync("reply-in-requester-inbox");
        });

    [Fact]
    public Task When_the_tickets_mailbox_cannot_send_the_composer_warns_and_the_reply_leaves_from_the_default_mailbox_only_when_chosen() =>
        fixture.RunAsync("ticket-reply-fallback", async session =>
        {
            var page = session.Page;
            var sandbox = new SandboxScreen(page);
            var tickets = new TicketScreens(page);
            var run = "r" + Guid.NewGuid().ToString("N")[..5]; // never all digits: a number is searched as a ticket number
            var subject = $"Badge reader broken {run}";
            var requester = $"requester.{run}@{SandboxScreen.DemoDomain}";
            var sales = $"sales.{run}@{SandboxScreen.DemoDomain}";
            var application = $"E2E sales {run}";

            // A second mailbox (Sales, a shared mailbox read with client credentials); the demo Support mailbox stays the default outgoing one.
            await sandbox.GotoAsync();
            await sandbox.CreateUserAsync(requester, $"Robin Requester {run}", licensed: true);
            await sandbox.CreateSharedMailboxAsync(sales, $"Sales {run}");
            var clientId = await sandbox.CreateApplicationAsync(application, ["Mail.ReadWrite", "Mail.Send"], []);
            var (secret, _) = await sandbox.CreateSecretAsync(application);
            var tenantId = await sandbox.TenantIdAsync();
            var mailbox = await new MailboxListPage(page).CreateAsync($"Sales {run}");
            var mailboxId = int.Parse(MailboxId().Match(page.Url).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var editor = await mailbox.NewCredentialsAsync();
            await editor.SaveSandboxCredentialAsync(authorisationCode: false, tenantId, clientId, secret, sales);
            await mailbox.TestConnectionAsync(sales);
            await session.StepAsync("sales-connected");

            await sandbox.GotoAsync("mail");
            await sandbox.DeliverAsync(sales, subject, "The badge reader at the front door stays red.", from: $"Robin Requester <{requester}>");
            await mailbox.GotoAsync(mailboxId, "incoming");
            await mailbox.ImportAsync();

            // Sales starts failing: Graph refuses every call on it, and a connection test records that.
            await sandbox.GotoAsync("faults");
            await sandbox.AddFailRequestsAsync(sales, 403, 1000);
            try
            {
                await mailbox.GotoAsync(mailboxId, "credentials");
                await mailbox.Card.GetByTestId("test-connection").ClickAsync();
                await Assertions.Expect(mailbox.Card.GetByTestId("credential-status")).ToHaveAttributeAsync("data-status", "NeedsAttention", new() { Timeout = 60_000 });
                await session.StepAsync("sales-failing");

                await tickets.OpenAsync(subject);
                var composer = tickets.Composer;
                await Assertions.Expect(composer.GetByTestId("reply-from")).ToContainTextAsync($"From: Support (sandbox) <{SandboxScreen.SupportMailbox}>");
                await Assertions.Expect(composer.GetByTestId("reply-from")).ToHaveAttributeAsync("data-fallback", "true");
                var warning = composer.GetByTestId("reply-fallback-warning");
                await Assertions.Expect(warning).ToContainTextAsync($"The ticket's mailbox Sales {run} <{sales}> cannot send: its connection is failing");
                await Assertions.Expect(warning).ToContainTextAsync($"from the default outgoing mailbox Support (sandbox) <{SandboxScreen.SupportMailbox}> instead of Sales {run} <{sales}>");
                await composer.GetByTestId("reply-text").FillAsync($"A technician is on the way ({run}).");
                await page.SetViewportSizeAsync(1440, 900);
                await composer.ScrollIntoViewIfNeededAsync();
                await session.StepAsync("fallback-warning-1440");
                await page.SetViewportSizeAsync(390, 844);
                await session.StepAsync("fallback-warning-390");

                // Send asks first; Cancel sends nothing and keeps the draft.
                await composer.GetByTestId("reply-send").ClickAsync();
                await Assertions.Expect(composer.GetByTestId("reply-fallback-question")).ToContainTextAsync($"Send this reply from Support (sandbox) <{SandboxScreen.SupportMailbox}>?");
                await session.StepAsync("fallback-question-390");
                await page.SetViewportSizeAsync(1440, 900);
                await session.StepAsync("fallback-question-1440");
                await composer.GetByTestId("reply-cancel-fallback").ClickAsync();
                await Assertions.Expect(composer.GetByTestId("reply-fallback-question")).ToHaveCountAsync(0);
                await Assertions.Expect(tickets.Messages).ToHaveCountAsync(1);
                await Assertions.Expect(composer.GetByTestId("reply-text")).ToHaveValueAsync($"A technician is on the way ({run}).");

                await composer.GetByTestId("reply-send").ClickAsync();
                await composer.GetByTestId("reply-confirm-fallback").ClickAsync();
                var reply = tickets.Messages.Filter(new() { Has = page.GetByTestId("outbound-status"), HasText = $"A technician is on the way ({run})." });
                await Assertions.Expect(reply).ToHaveCountAsync(1);
                await Assertions.Expect(composer.GetByTestId("reply-text")).ToHaveValueAsync("");
                await Assertions.Expect(reply.GetByTestId("outbound-status")).ToHaveAttributeAsync("data-status", "Sent", new() { Timeout = 60_000 });
                await Assertions.Expect(reply.GetByTestId("outbound-from")).ToContainTextAsync($"from {SandboxScreen.SupportMailbox} (the default outgoing mailbox, chosen by the agent)");
                await session.StepAsync("sent-from-default-1440");
                await page.SetViewportSizeAsync(390, 844);
                await session.StepAsync("sent-from-default-390");
                await page.SetViewportSizeAsync(1440, 900);
            }
            finally
            {
                await sandbox.GotoAsync("faults");
                await sandbox.ClearFaultsAsync();
            }

            await sandbox.GotoAsync("mail");
            await sandbox.ViewAsync(requester, "Inbox");
            var received = sandbox.ViewerMessagesContaining(subject);
            await Assertions.Expect(received).ToHaveCountAsync(1);
            await Assertions.Expect(received).ToContainTextAsync(SandboxScreen.SupportMailbox);
            await session.StepAsync("reply-in-requester-inbox");
        });

    [System.Text.RegularExpressions.GeneratedRegex(@"/configuration/email/mailboxes/(\d+)")]
    private static partial System.Text.RegularExpressions.Regex MailboxId();
}
