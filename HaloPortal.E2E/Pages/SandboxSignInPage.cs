using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HaloPortal.E2E.Pages;

/// <summary>
/// Authorize / Reauthorise on a credential card: the portal's sign-in warning, the sandbox's own sign-in page (and consent, the first
/// time), back to the mailbox's Credentials tab with <c>signin=ok</c>.
/// </summary>
public sealed partial class SandboxSignInPage(IPage page)
{
    /// <summary>Clicks <paramref name="button"/> (authorize or reauthorise) and signs in as <paramref name="user"/>.</summary>
    /// <param name="step">Called with "sign-in-warning", "sandbox-sign-in-page" and (when asked) "sandbox-consent" while each shows, e.g. to screenshot it.</param>
    public async Task SignInAsync(ILocator button, string user, string password, Func<string, Task>? step = null)
    {
        await button.ClickAsync();
        await Assertions.Expect(page.GetByTestId("signin-warning")).ToBeVisibleAsync();
        if (step is not null)
        {
            await step("sign-in-warning");
        }

        await page.GetByTestId("signin-continue").ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(SandboxLogin());
        await page.GetByTestId("sandbox-username").FillAsync(user);
        await page.GetByTestId("sandbox-password").FillAsync(password);
        if (step is not null)
        {
            await step("sandbox-sign-in-page");
        }

        await page.GetByTestId("sandbox-signin").ClickAsync();
        // Back in the portal, or (an app without admin consent, the first time) on the sandbox's consent page.
        var consent = page.GetByTestId("sandbox-consent-accept");
        await Assertions.Expect(consent.Or(page.GetByTestId("signin-ok"))).ToBeVisibleAsync(new() { Timeout = 30_000 });
        if (await consent.IsVisibleAsync())
        {
            if (step is not null)
            {
                await step("sandbox-consent");
            }

            await consent.ClickAsync();
        }

        await Assertions.Expect(page).ToHaveURLAsync(SignedIn());
        await page.WaitForInteractiveAsync();
        await Assertions.Expect(page.GetByTestId("signin-ok")).ToBeVisibleAsync();
    }

    [GeneratedRegex("/sandbox/login/")]
    private static partial Regex SandboxLogin();

    [GeneratedRegex(@"/configuration/email/mailboxes/\d+\?tab=credentials.*signin=ok")]
    private static partial Regex SignedIn();
}
