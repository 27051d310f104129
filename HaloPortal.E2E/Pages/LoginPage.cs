using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HaloPortal.E2E.Pages;

/// <summary>/account/login: the sign-in page (a static page with a plain form).</summary>
public sealed partial class LoginPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" });

    public ILocator Error => page.GetByTestId("login-error");

    public async Task GotoAsync() => await page.GotoAsync("/account/login");

    public async Task AssertShownAsync()
    {
        await Assertions.Expect(page).ToHaveURLAsync(LoginUrl());
        await Assertions.Expect(Heading).ToBeVisibleAsync();
    }

    /// <summary>Signs in and waits until the browser has left the sign-in page.</summary>
    public async Task SignInAsync(string email, string password)
    {
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.GetByTestId("sign-in").ClickAsync();
        await Assertions.Expect(page).Not.ToHaveURLAsync(LoginUrl());
    }

    [GeneratedRegex("/account/login")]
    private static partial Regex LoginUrl();
}
