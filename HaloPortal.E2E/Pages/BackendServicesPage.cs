using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HaloPortal.E2E.Pages;

/// <summary>Configuration › Advanced › Backend Services: the Incoming and Scheduling service switches.</summary>
public sealed partial class BackendServicesPage(IPage page)
{
    /// <summary>The switch itself: MudBlazor 9 renders an input role="switch" carrying aria-checked and the data-testid.</summary>
    public ILocator IncomingSwitch => page.GetByTestId("incoming-switch");

    public ILocator SchedulingSwitch => page.GetByTestId("scheduling-switch");

    public ILocator IngestionOffWarning => page.GetByTestId("ingestion-off");

    public async Task GotoAsync() => await page.GotoAsync("/configuration/advanced/backend-services");

    public async Task AssertShownAsync()
    {
        await Assertions.Expect(page).ToHaveURLAsync(PageUrl());
        await Assertions.Expect(page.Locator("#page-title")).ToHaveTextAsync("Backend Services");
        await Assertions.Expect(IncomingSwitch).ToBeAttachedAsync();
    }

    public async Task<bool> IsIncomingOnAsync() => await IncomingSwitch.GetAttributeAsync("aria-checked") == "true";

    /// <summary>Flips the Incoming service switch and waits until the portal has saved and re-rendered it.</summary>
    public async Task<bool> ToggleIncomingAsync()
    {
        await page.WaitForInteractiveAsync();
        var wanted = !await IsIncomingOnAsync();
        // The input is visually hidden under the MudBlazor thumb; its label is what a person clicks.
        await page.Locator("label.mud-switch", new() { Has = IncomingSwitch }).ClickAsync();
        await Assertions.Expect(IncomingSwitch).ToHaveAttributeAsync("aria-checked", wanted ? "true" : "false");
        await Assertions.Expect(page.GetByText("Backend services saved.")).ToBeVisibleAsync();
        return wanted;
    }

    [GeneratedRegex("/configuration/advanced/backend-services$")]
    private static partial Regex PageUrl();
}
