using System.Diagnostics;
using System.Text.RegularExpressions;
using HaloPortal.E2E.Infrastructure;
using HaloPortal.E2E.Pages;
using Microsoft.Playwright;

namespace HaloPortal.E2E;

/// <summary>Issue 6 through the browser: a Webhooks credential's subscription turns delivered mail into a ticket without anyone importing.</summary>
[Collection(AdminE2ECollection.Name)]
public sealed partial class WebhookTests(AdminE2EFixture fixture)
{
    /// <summary>The sandbox's seeded demo application (admin-consented Mail permissions).</summary>
    private const string DemoApplication = "HaloPortal demo";

    private static readonly TimeSpan TicketDeadline = TimeSpan.FromSeconds(20);

    /// <summary>How long a mail delivered after cancelling is watched for a ticket that must not appear.</summary>
    private static readonly TimeSpan NoTicketWindow = TimeSpan.FromSeconds(5);

    [Fact]
    public Task Mail_to_a_subscribed_mailbox_becomes_a_ticket_without_importing_and_cancelling_the_subscription_stops_it() =>
        fixture.RunAsync("webhooks-subscription", async session =>
        {
            var page = session.Page;
            var sandbox = new SandboxScreen(page);
            var tickets = new TicketScreens(page);
            var run = "r" + Guid.NewGuid().ToString("N")[..5]; // never all digits: a number is searched as a ticket number
            var address = $"webhooks-{run}@{SandboxScreen.DemoDomain}";

            // A new shared mailbox, and a new secret on the demo application.
            await sandbox.GotoAsync();
            await sandbox.CreateSharedMailboxAsync(address, $"Webhooks {run}");
            var clientId = (await sandbox.Application(DemoApplication).GetByTestId("app-client-id").TextContentAsync())!.Trim();
            var (secret, _) = await sandbox.CreateSecretAsync(DemoApplication);
            var tenantId = await sandbox.TenantIdAsync();
            await session.StepAsync("shared-mailbox-and-secret");

            // A portal mailbox with a Client credentials credential processing by Webhooks.
            var mailbox = await new MailboxListPage(page).CreateAsync($"Webhooks {run}");
            var mailboxId = int.Parse(MailboxId().Match(page.Url).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var editor = await mailbox.NewCredentialsAsync();
            await editor.SaveSandboxCredentialAsync(authorisationCode: false, tenantId, clientId, secret, address, webhooks: true);
            await mailbox.TestConnectionAsync(address);
            await session.StepAsync("webhooks-credential-connected");

            var subscriptionId = await mailbox.CreateSubscriptionAsync();
            await Assertions.Expect(mailbox.Subscription.GetByTestId("subscription-expiry")).ToContainTextAsync(ExpiryText());
            await session.StepAsync("subscription-active");

            // Mail delivered on the Sandbox screen becomes a ticket by itself: Graph notifies the portal.
            var subject = $"Webhook ticket {run}";
            await sandbox.GotoAsync("mail");
            await sandbox.DeliverAsync(address, subject, "The VPN drops every few minutes.");
            await session.StepAsync("mail-delivered");
            await WaitForTicketAsync(tickets, subject);
            await session.StepAsync("ticket-appeared-without-import");

            await mailbox.GotoAsync(mailboxId, "credentials");
            await Assertions.Expect(mailbox.Subscription.GetByTestId("subscription-last")).Not.ToHaveTextAsync("None received yet");
            await sandbox.GotoAsync("faults");
            var row = page.Locator($"[data-testid='subscription-row'][data-subscription-id='{subscriptionId}']");
            await Assertions.Expect(row.GetByTestId("subscription-delivered")).Not.ToHaveTextAsync("0");
            // At 1440 px every lifecycle button sits wholly in view beside the long resource and notification address.
            await page.SetViewportSizeAsync(1440, 900);
            await row.ScrollIntoViewIfNeededAsync();
            var panel = (await page.GetByTestId("subscriptions-panel").BoundingBoxAsync())!;
            foreach (var lifecycle in new[] { "reauthorizationrequired", "subscriptionremoved", "missed" })
            {
                var button = row.GetByTestId($"lifecycle-{lifecycle}");
                await Assertions.Expect(button).ToBeInViewportAsync(new() { Ratio = 1 });
                var box = (await button.BoundingBoxAsync())!;
                Assert.True(box.X + box.Width <= panel.X + panel.Width, $"{lifecycle} ends at {box.X + box.Width:0}px, outside its card ({panel.X + panel.Width:0}px)");
            }

            await session.StepAsync("sandbox-counted-notification");

            // Cancelling deletes the subscription in Graph: later mail no longer reaches the portal by itself.
            await mailbox.GotoAsync(mailboxId, "credentials");
            await mailbox.CancelSubscriptionAsync();
            await Assertions.Expect(mailbox.Subscription).ToContainTextAsync(CancelledText());
            await session.StepAsync("subscription-cancelled");

            var secondSubject = $"After cancelling {run}";
            await sandbox.GotoAsync("mail");
            await sandbox.DeliverAsync(address, secondSubject, "Is anyone still listening?");
            await sandbox.GotoAsync("faults");
            await Assertions.Expect(row).ToHaveCountAsync(0);
            await session.StepAsync("sandbox-subscription-gone");
            await AssertNoTicketAsync(tickets, secondSubject);
            await session.StepAsync("no-ticket-after-cancelling");
        });

    /// <summary>Reloads /tickets (never pressing Import) until the ticket is listed, within <see cref="TicketDeadline"/>.</summary>
    private static async Task WaitForTicketAsync(TicketScreens tickets, string subject)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            await tickets.GotoListAsync();
            var left = TicketDeadline - deadline.Elapsed;
            try
            {
                // Each attempt waits up to 2 s on this page load; the list is not live, so a miss means reload.
                await Assertions.Expect(tickets.Row(subject)).ToHaveCountAsync(1, new() { Timeout = (float)Math.Clamp(left.TotalMilliseconds, 1, 2_000) });
                return;
            }
            catch (PlaywrightException) when (deadline.Elapsed < TicketDeadline)
            {
                // Not there yet: reload.
            }
        }
    }

    /// <summary>Reloads /tickets for <see cref="NoTicketWindow"/>, failing as soon as a ticket with this subject is listed.</summary>
    private static async Task AssertNoTicketAsync(TicketScreens tickets, string subject)
    {
        var window = Stopwatch.StartNew();
        do
        {
            await tickets.GotoListAsync();
            Assert.Equal(0, await tickets.Row(subject).CountAsync());
        }
        while (window.Elapsed < NoTicketWindow);
    }

    [GeneratedRegex(@"/configuration/email/mailboxes/(\d+)")]
    private static partial Regex MailboxId();

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")]
    private static partial Regex ExpiryText();

    [GeneratedRegex("Cancelled|No subscription yet")]
    private static partial Regex CancelledText();
}
