using System.Globalization;
using Microsoft.Playwright;

namespace HaloPortal.E2E.Pages;

/// <summary>The app bar's bell, Account › Preferences (error notification switches) and /notifications.</summary>
public sealed class NotificationScreens(IPage page)
{
    /// <summary>The bell's unread count (a hidden span next to the badge, updated live).</summary>
    public ILocator Count => page.GetByTestId("notification-count");

    public ILocator Bell => page.GetByTestId("notification-bell");

    public async Task<int> UnreadAsync() => int.Parse((await Count.TextContentAsync())!.Trim(), CultureInfo.InvariantCulture);

    /// <summary>Waits until the bell shows more than <paramref name="before"/> unread notifications; returns the new count.</summary>
    public async Task<int> WaitForMoreThanAsync(int before)
    {
        await page.WaitForFunctionAsync(
            "before => { const c = document.querySelector(\"[data-testid='notification-count']\"); return c && parseInt(c.textContent, 10) > before; }",
            before, new() { Timeout = 30_000, PollingInterval = 100 });
        return await UnreadAsync();
    }

    /// <summary>Account › Preferences: switches "Email processing errors" on.</summary>
    public async Task OptInToEmailProcessingErrorsAsync()
    {
        await page.GotoAsync("/account/preferences");
        await page.WaitForInteractiveAsync();
        var preferences = page.GetByTestId("notification-preferences");
        await Assertions.Expect(preferences).ToBeVisibleAsync();
        var input = page.GetByTestId("pref-email-processing");
        await Assertions.Expect(input).ToBeEnabledAsync();
        if (!await input.IsCheckedAsync())
        {
            await page.TickAsync("pref-email-processing", true);
            await Assertions.Expect(page.GetByText("Notification preferences saved.").First).ToBeVisibleAsync();
        }
    }

    /// <summary>The notification on /notifications of this kind (Problem / Recovered) whose title contains <paramref name="title"/>.</summary>
    public ILocator Notification(string kind, string title) =>
        page.Locator($"[data-testid='notification'][data-kind='{kind}']", new() { Has = page.GetByTestId("notification-title").Filter(new() { HasText = title }) });

    public async Task GotoAsync()
    {
        await page.GotoAsync("/notifications");
        await page.WaitForInteractiveAsync();
        await page.AssertNotAnErrorPageAsync();
    }
}
