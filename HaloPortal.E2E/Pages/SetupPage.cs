using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HaloPortal.E2E.Pages;

/// <summary>/account/setup: "Create the first administrator" (a static page with a plain form).</summary>
public sealed partial class SetupPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Create the first administrator" });

    public async Task AssertShownAsync()
    {
        await Assertions.Expect(page).ToHaveURLAsync(SetupUrl());
        await Assertions.Expect(Heading).ToBeVisibleAsync();
    }

    /// <summary>Fills and submits the form; the portal signs the new administrator in and opens the home page.</summary>
    public async Task CreateAdministratorAsync(string name, string email, string password)
    {
        await page.Locator("#name").FillAsync(name);
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("#confirm").FillAsync(password);
        await page.GetByTestId("create-admin").ClickAsync();
        await Assertions.Expect(page).Not.ToHaveURLAsync(SetupUrl());
    }

    [GeneratedRegex("/account/setup")]
    private static partial Regex SetupUrl();
}
