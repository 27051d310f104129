using HaloPortal.E2E.Infrastructure;
using HaloPortal.E2E.Pages;
using Microsoft.Playwright;

namespace HaloPortal.E2E;

/// <summary>Issue 8 through the browser: an agent's reply is sent from the mailbox and reaches the requester's sandbox mailbox.</summary>
[Collection(AdminE2ECollection.Name)]
public sealed class ReplyTests(AdminE2EFixture fixture)
{
    [Fact]
    public Task A_reply_written_on_the_ticket_is_sent_and_arrives_in_the_requesters_sandbox_mailbox() =>
        fixture.RunAsync("ticket-reply", async session =>
        {
            var page = session.Page;
            var sandbox = new SandboxScreen(page);
            var mailbox = new MailboxPage(page);
            var tickets = new TicketScreens(page);
            var run = Guid.NewGuid().ToString("N")[..6];
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
}
