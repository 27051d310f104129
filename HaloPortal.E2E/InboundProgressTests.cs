using System.Diagnostics;
using System.Net.Http.Json;
using HaloPortal.E2E.Infrastructure;
using HaloPortal.E2E.Pages;
using Microsoft.Playwright;

namespace HaloPortal.E2E;

/// <summary>Issue 14 item 5 through the browser: an email Graph answers with a transient 503 shows its progress in the inbound log.</summary>
[Collection(AdminE2ECollection.Name)]
public sealed class InboundProgressTests(AdminE2EFixture fixture)
{
    /// <summary>Graph's Retry-After on each injected 503: how long the email visibly waits for its next attempt.</summary>
    private const int RetryAfterSeconds = 20;

    /// <summary>The sandbox's seeded demo application (admin-consented Mail permissions).</summary>
    private const string DemoApplication = "HaloPortal demo";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public Task An_email_hit_by_a_transient_503_shows_sender_attempts_last_error_and_next_attempt_and_is_processed_with_its_real_attempt_count() =>
        fixture.RunAsync("inbound-progress", async session =>
        {
            var page = session.Page;
            var run = "r" + Guid.NewGuid().ToString("N")[..5]; // never all digits: a number is searched as a ticket number
            var subject = $"Badge reader offline {run}";
            var address = $"progress-{run}@{SandboxScreen.DemoDomain}";
            using var api = new HttpClient { BaseAddress = fixture.Portal.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            api.DefaultRequestHeaders.Add("X-Api-Key", fixture.Portal.ApiKey);
            using var sandbox = new SandboxControlApi(fixture.Portal);

            // A mailbox processed by webhooks: a notification names only the message's id, so its sender is read from Graph.
            var screen = new SandboxScreen(page);
            await screen.GotoAsync();
            await screen.CreateSharedMailboxAsync(address, $"Progress {run}");
            var clientId = (await screen.Application(DemoApplication).GetByTestId("app-client-id").TextContentAsync())!.Trim();
            var (secret, _) = await screen.CreateSecretAsync(DemoApplication);
            var tenantId = await screen.TenantIdAsync();
            var mailbox = await new MailboxListPage(page).CreateAsync($"Progress {run}");
            var editor = await mailbox.NewCredentialsAsync();
            await editor.SaveSandboxCredentialAsync(authorisationCode: false, tenantId, clientId, secret, address, webhooks: true);
            await mailbox.TestConnectionAsync(address);
            await mailbox.CreateSubscriptionAsync();

            await page.GotoAsync("/configuration/advanced/backend-service-monitoring");
            await page.WaitForInteractiveAsync();
            var row = page.GetByTestId("inbound-log").Locator("tbody tr", new() { Has = page.GetByText(subject) });

            // Graph answers the first read of the message with a 503 and asks to wait RetryAfterSeconds.
            var fault = await api.PostAsJsonAsync("/sandbox/api/faults",
                new { mailbox = address, kind = "FailRequests", status = 503, count = 1, retryAfterSeconds = RetryAfterSeconds });
            fault.EnsureSuccessStatusCode();
            try
            {
                await sandbox.DeliverMimeAsync(address,
                    $"From: Ola Berg <ola.{run}@customer.example>\r\nTo: {address}\r\nSubject: {subject}\r\nMessage-ID: <{run}.progress@customer.example>\r\n" +
                    $"Date: {DateTimeOffset.UtcNow:r}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDoor 3 does not open.\r\n");

                await RefreshUntilVisibleAsync(page, row.GetByTestId("inbound-last-error"));
                await Assertions.Expect(row.GetByTestId("inbound-from")).ToHaveTextAsync($"ola.{run}@customer.example");
                await Assertions.Expect(row.GetByTestId("status-chip")).ToHaveAttributeAsync("data-status", "Pending");
                await Assertions.Expect(row.GetByTestId("inbound-attempts")).ToHaveTextAsync("1 attempt");
                await Assertions.Expect(row.GetByTestId("inbound-last-error")).ToContainTextAsync("HTTP 503");
                await Assertions.Expect(row.GetByTestId("inbound-next-attempt")).ToContainTextAsync("Next attempt ");
                await page.SetViewportSizeAsync(1440, 900);
                await session.StepAsync("retry-scheduled-1440");
                await page.SetViewportSizeAsync(390, 844);
                await row.ScrollIntoViewIfNeededAsync();
                await Assertions.Expect(row.GetByTestId("inbound-next-attempt")).ToBeVisibleAsync();
                // On a phone each cell is a "label value" line: the label stays whole ("From", not "Fro m") beside a long address.
                var labelKeepsWhole = await row.GetByTestId("inbound-from").EvaluateAsync<double>(
                    "td => { const s = getComputedStyle(td, '::before'); return s.whiteSpace === 'nowrap' ? 1 : 0; }");
                Assert.Equal(1, labelKeepsWhole);
                await session.StepAsync("retry-scheduled-390");
            }
            finally
            {
                await api.DeleteAsync("/sandbox/api/faults");
            }

            await page.SetViewportSizeAsync(1440, 900);
            await RefreshUntilVisibleAsync(page, row.Locator("[data-testid='status-chip'][data-status='Processed']"));
            await Assertions.Expect(row.GetByTestId("inbound-attempts")).ToHaveTextAsync("2 attempts");
            await Assertions.Expect(row.GetByTestId("inbound-last-error")).ToHaveCountAsync(0);
            await Assertions.Expect(row.GetByTestId("inbound-next-attempt")).ToHaveCountAsync(0);
            await session.StepAsync("processed-1440");

            // The record tells the same story: two attempts, the 503 kept as the last error, and no replay for a processed email.
            await row.GetByTestId("inbound-row-link").ClickAsync();
            await page.WaitForInteractiveAsync();
            await Assertions.Expect(page.GetByTestId("request")).ToHaveCountAsync(1);
            await Assertions.Expect(page.GetByTestId("replay-request")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByTestId("request-log")).ToContainTextAsync("Reading it again at");
            await page.GetByRole(AriaRole.Tab, new() { Name = "Details" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("[?&]tab=details"));
            await page.ReloadAsync();
            await page.WaitForInteractiveAsync();
            await Assertions.Expect(page.GetByTestId("inbound-attempts")).ToHaveTextAsync("2");
            await Assertions.Expect(page.GetByTestId("inbound-last-error")).ToContainTextAsync("HTTP 503");
            await session.StepAsync("processed-record");
        });

    /// <summary>Presses the log's Refresh until <paramref name="target"/> shows, within <see cref="Deadline"/>.</summary>
    private static async Task RefreshUntilVisibleAsync(IPage page, ILocator target)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await Assertions.Expect(target).ToBeVisibleAsync(new() { Timeout = 1_000 });
                return;
            }
            catch (PlaywrightException) when (clock.Elapsed < Deadline)
            {
                await page.GetByTestId("inbound-refresh").ClickAsync();
            }
        }
    }
}
