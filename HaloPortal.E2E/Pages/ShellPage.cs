using Microsoft.Playwright;

namespace HaloPortal.E2E.Pages;

/// <summary>The signed-in layout: app bar (theme toggle, user menu) and the navigation menu.</summary>
public sealed class ShellPage(IPage page)
{
    public ILocator Nav => page.GetByTestId("nav");

    public ILocator UserMenu => page.GetByTestId("user-menu");

    public ILocator ThemeToggle => page.GetByTestId("theme-toggle");

    /// <summary>Waits for the layout of a signed-in user, with the circuit connected.</summary>
    public async Task AssertSignedInAsync(string email)
    {
        await Assertions.Expect(Nav).ToBeVisibleAsync();
        await Assertions.Expect(UserMenu).ToContainTextAsync(email);
        await page.WaitForInteractiveAsync();
        await page.AssertNotAnErrorPageAsync();
    }

    /// <summary>Configuration › Advanced › Backend Services, through the navigation menu.</summary>
    public async Task<BackendServicesPage> OpenBackendServicesAsync()
    {
        await ExpandAsync("Configuration");
        await ExpandAsync("Advanced");
        await Nav.GetByRole(AriaRole.Link, new() { Name = "Backend Services", Exact = true }).ClickAsync();
        var target = new BackendServicesPage(page);
        await target.AssertShownAsync();
        return target;
    }

    /// <summary>Opens the user menu and signs out (a form post that ends on the sign-in page).</summary>
    public async Task SignOutAsync()
    {
        await page.WaitForInteractiveAsync();
        await UserMenu.Locator(".user-menu-activator").ClickAsync();
        var signOut = page.GetByTestId("sign-out");
        await Assertions.Expect(signOut).ToBeVisibleAsync();
        await signOut.ClickAsync();
    }

    /// <summary>A JS expression: the MudBlazor theme's current page background colour.</summary>
    public const string ThemeBackgroundScript = "getComputedStyle(document.documentElement).getPropertyValue('--mud-palette-background').trim()";

    public Task<string> ThemeBackgroundAsync() => page.EvaluateAsync<string>($"() => {ThemeBackgroundScript}");

    /// <summary>Waits until the theme's page background is the given colour (the stored theme is applied after the first interactive render).</summary>
    public Task WaitForThemeBackgroundAsync(string colour) =>
        page.WaitForFunctionAsync($"expected => {ThemeBackgroundScript} === expected", colour, new() { PollingInterval = 50 });

    /// <summary>Switches between light and dark and waits until the theme's colours have changed.</summary>
    public async Task ToggleThemeAsync()
    {
        await page.WaitForInteractiveAsync();
        var before = await ThemeBackgroundAsync();
        await ThemeToggle.ClickAsync();
        await page.WaitForFunctionAsync($"previous => {ThemeBackgroundScript} !== previous", before, new() { PollingInterval = 50 });
    }

    /// <summary>The stored theme choice ("dark", "light" or null).</summary>
    public Task<string?> StoredThemeAsync() => page.EvaluateAsync<string?>("() => localStorage.getItem('portal-theme')");

    private async Task ExpandAsync(string group)
    {
        // MudNavGroup renders a button labelled "Toggle <title>" that says with aria-expanded whether it is open.
        var header = Nav.GetByRole(AriaRole.Button, new() { Name = $"Toggle {group}", Exact = true });
        if (await header.GetAttributeAsync("aria-expanded") == "false")
        {
            await header.ClickAsync();
            await Assertions.Expect(header).ToHaveAttributeAsync("aria-expanded", "true");
        }
    }
}
