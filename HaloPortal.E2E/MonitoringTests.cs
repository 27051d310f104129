using HaloPortal.E2E.Infrastructure;
using HaloPortal.E2E.Pages;
using Microsoft.Playwright;

namespace HaloPortal.E2E;

/// <summary>Backend Service Monitoring through the browser: the chart and log at full and narrow widths, and rejected Graph notifications.</summary>
[Collection(AdminE2ECollection.Name)]
public sealed class MonitoringTests(AdminE2EFixture fixture)
{
    [Fact]
    public Task A_notification_for_an_unknown_subscription_is_listed_under_Rejected_notifications_with_its_raw_json() =>
        fixture.RunAsync("monitoring", async session =>
        {
            var page = session.Page;
            var unknown = Guid.NewGuid().ToString();
            var run = unknown[..6];

            // Some mail for the chart: one email that opens a ticket and one automatic reply that is ignored.
            var sandbox = new SandboxScreen(page);
            await sandbox.GotoAsync("mail");
            await sandbox.DeliverAsync(SandboxScreen.SupportMailbox, $"Monitor is flickering {run}", "Since this morning.");
            await sandbox.DeliverAsync(SandboxScreen.SupportMailbox, $"Out of office {run}", "Back on Monday.", autoReply: true);
            var mailbox = new MailboxPage(page);
            await mailbox.GotoAsync(1, "incoming");
            await mailbox.ImportAsync();

            // Graph (or anyone) POSTs a notification for a subscription this portal never made: accepted with 202, and rejected.
            var response = await page.Context.APIRequest.PostAsync("/api/graph/notifications", new()
            {
                DataObject = new { value = new[] { new { subscriptionId = unknown, changeType = "created", clientState = "guess", resource = "Users/x/Messages/AAMk-e2e", resourceData = new { id = "AAMk-e2e" } } } },
            });
            Assert.Equal(202, response.Status);

            await page.GotoAsync("/configuration/advanced/backend-service-monitoring");
            await page.WaitForInteractiveAsync();
            await Assertions.Expect(page.GetByTestId("inbound-chart")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("inbound-log")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("[data-testid='inbound-chart'] .inbound-chart-plot svg").First).ToBeVisibleAsync();
            await PlotFillsCardAsync(page);
            await session.StepAsync("inbound-emails");

            // A narrow window: the log keeps received, from, subject and status without scrolling sideways.
            await page.SetViewportSizeAsync(820, 1000);
            await PlotFillsCardAsync(page); // the chart redraws at the new width
            await Assertions.Expect(page.Locator("[data-testid='inbound-log'] th", new() { HasText = "Found by" })).ToBeHiddenAsync();
            await Assertions.Expect(page.Locator("[data-testid='inbound-log'] th", new() { HasText = "Subject" })).ToBeVisibleAsync();
            await session.StepAsync("inbound-emails-narrow");
            await page.SetViewportSizeAsync(1366, 860);

            await page.GetByRole(AriaRole.Tab, new() { Name = "Rejected notifications" }).ClickAsync();
            var row = page.GetByTestId("rejected-notifications").Locator("tr", new() { Has = page.GetByTestId("rejected-subscription").GetByText(unknown) });
            await Assertions.Expect(row).ToBeVisibleAsync();
            await Assertions.Expect(row.GetByTestId("rejected-reason")).ToContainTextAsync($"Unknown subscription {unknown}");
            await Assertions.Expect(row.GetByTestId("rejected-mailbox")).ToHaveTextAsync("unknown");
            // The chosen tab is in the address, so a reload (or a shared link) opens it again.
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("[?&]tab=rejected-notifications"));
            await page.ReloadAsync();
            await page.WaitForInteractiveAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Rejected notifications" })).ToHaveAttributeAsync("aria-selected", "true");
            await Assertions.Expect(row).ToBeVisibleAsync();
            await session.StepAsync("rejected-notifications");

            await row.GetByTestId("rejected-open-raw").ClickAsync();
            await Assertions.Expect(page.GetByTestId("raw-data")).ToContainTextAsync($"\"subscriptionId\": \"{unknown}\"");
            await session.StepAsync("rejected-notification-json");
        });

    /// <summary>Waits until the chart's drawing is as wide as its card (less padding) and a readable height.</summary>
    private static Task PlotFillsCardAsync(IPage page) =>
        page.WaitForFunctionAsync("""
            () => {
              const card = document.querySelector("[data-testid='inbound-chart']");
              const svg = card && card.querySelector('.inbound-chart-plot svg');
              if (!svg) return false;
              const c = card.getBoundingClientRect(), s = svg.getBoundingClientRect();
              const viewBoxWidth = svg.viewBox.baseVal.width;
              return s.width > c.width * 0.85 && s.height >= 200 && s.height <= 320 && Math.abs(viewBoxWidth - s.width) < 60;
            }
            """, null, new() { Timeout = 10_000, PollingInterval = 100 });
}
