using System.Text.RegularExpressions;
using HaloPortal.E2E.Infrastructure;
using HaloPortal.E2E.Pages;
using Microsoft.Playwright;

namespace HaloPortal.E2E;

/// <summary>Issue 14 item 8 through the browser: an import is a recorded run whose report survives a reload, and the history opens any run.</summary>
[Collection(AdminE2ECollection.Name)]
public sealed class ImportHistoryTests(AdminE2EFixture fixture)
{
    [Fact]
    public Task An_import_report_survives_a_reload_and_a_history_row_opens_an_earlier_run() =>
        fixture.RunAsync("import-history", async session =>
        {
            var page = session.Page;
            await page.SetViewportSizeAsync(1440, 900);
            var run = "r" + Guid.NewGuid().ToString("N")[..5]; // never all digits: a number is searched as a ticket number
            var sandbox = new SandboxScreen(page);
            await sandbox.GotoAsync("mail");
            await sandbox.DeliverAsync(SandboxScreen.SupportMailbox, $"Laptop will not boot {run}", "Black screen since the update.");

            var mailbox = new MailboxPage(page);
            await mailbox.GotoAsync(SandboxScreen.DemoMailboxId, "incoming");
            var report = await mailbox.ImportAsync();
            await Assertions.Expect(report.GetByTestId("import-outcome")).ToHaveTextAsync("Import finished: the mailbox was read");
            var first = (await report.GetAttributeAsync("data-run-id"))!;
            await Assertions.Expect(report.GetByTestId("import-run-status")).ToHaveAttributeAsync("data-status", "Finished");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex($"[?&]import={first}(&|$)"));
            var created = await report.GetByTestId("count-created").TextContentAsync();
            Assert.True(int.Parse(created!.Trim(), System.Globalization.CultureInfo.InvariantCulture) >= 1, $"Created {created}; the delivered email is new.");

            // The report is the run's, not the circuit's: a reload shows it again.
            await page.ReloadAsync();
            await page.WaitForInteractiveAsync();
            await Assertions.Expect(page.GetByTestId("import-report")).ToHaveAttributeAsync("data-run-id", first);
            await Assertions.Expect(page.GetByTestId("count-created")).ToHaveTextAsync(created);
            await Assertions.Expect(mailbox.HistoryRow(first)).ToBeVisibleAsync();
            await session.StepAsync("report-after-reload-1440");

            // A second import becomes the newest row; the first run's row opens its report again.
            report = await mailbox.ImportAsync();
            var second = (await report.GetAttributeAsync("data-run-id"))!;
            Assert.NotEqual(first, second);
            await Assertions.Expect(page.GetByTestId("import-history").Locator("tbody tr").First.GetByTestId("import-history-open")).ToHaveAttributeAsync("data-run-id", second);
            await mailbox.HistoryRow(first).GetByTestId("import-history-open").ClickAsync();
            await Assertions.Expect(page.GetByTestId("import-report")).ToHaveAttributeAsync("data-run-id", first);
            await Assertions.Expect(page.GetByTestId("count-created")).ToHaveTextAsync(created);
            await Assertions.Expect(page).ToHaveURLAsync(new Regex($"[?&]import={first}(&|$)"));
            await page.GetByTestId("import-history").ScrollIntoViewIfNeededAsync();
            await session.StepAsync("history-row-opened-1440");

            await page.ReloadAsync();
            await page.WaitForInteractiveAsync();
            await Assertions.Expect(page.GetByTestId("import-report")).ToHaveAttributeAsync("data-run-id", first);

            // On a phone the Import emails card fits the width; only the history table scrolls, inside its card.
            await page.SetViewportSizeAsync(390, 844);
            await Assertions.Expect(page.GetByTestId("import-report")).ToBeVisibleAsync();
            const string Outside = @"() => [...document.querySelectorAll(""[data-testid='import-emails'] *"")]
                .filter(e => !e.closest('.mud-table-container') && e.getBoundingClientRect().right > 391)
                .map(e => e.tagName + '[' + (e.dataset.testid || e.className) + ']')";
            // The layout settles after the resize (MudBlazor re-renders on the new breakpoint): wait for it, with a deadline.
            try
            {
                await page.WaitForFunctionAsync($"() => ({Outside})().length === 0", null, new() { Timeout = 5000 });
            }
            catch (TimeoutException)
            {
            }

            var outside = await page.EvaluateAsync<string[]>(Outside);
            Assert.True(outside.Length == 0, "Wider than a 390 px phone outside the history table's own scroll: " + string.Join(", ", outside));
            var table = await page.EvaluateAsync<int[]>(@"() => { const c = document.querySelector(""[data-testid='import-history'] .mud-table-container""); return [c.scrollWidth, c.clientWidth]; }");
            Assert.True(table[0] > table[1], $"The history table ({table[0]} px) should scroll inside its card ({table[1]} px) on a phone.");
            await session.StepAsync("report-390");
            await page.GetByTestId("import-history").ScrollIntoViewIfNeededAsync();
            await session.StepAsync("history-390");
            await page.SetViewportSizeAsync(1366, 860);
        });
}
