using HaloPortal.E2E.Infrastructure;
using HaloPortal.E2E.Pages;
using Microsoft.Playwright;

namespace HaloPortal.E2E;

[Collection(E2ECollection.Name)]
public sealed class FoundationTests(E2EFixture fixture)
{
    [Fact]
    public Task Fresh_portal_first_administrator_switches_a_backend_service_signs_out_and_in_and_goes_dark() =>
        fixture.RunAsync("foundation", async session =>
        {
            var page = session.Page;
            // A fresh portal: the browser is sent to the first-run page, never to an error page.
            var response = await page.GotoAsync("/");
            Assert.NotNull(response);
            Assert.True(response.Ok, $"GET / ended with HTTP {response.Status} at {page.Url}.");
            var setup = new SetupPage(page);
            await setup.AssertShownAsync();
            await page.AssertNotAnErrorPageAsync();
            await session.StepAsync("first-run");

            await setup.CreateAdministratorAsync(E2EFixture.AdminName, E2EFixture.AdminEmail, fixture.AdminPassword);
            var shell = new ShellPage(page);
            await shell.AssertSignedInAsync(E2EFixture.AdminEmail);
            await session.StepAsync("dashboard");

            var backend = await shell.OpenBackendServicesAsync();
            Assert.True(await backend.IsIncomingOnAsync(), "The Incoming service starts switched on.");
            await session.StepAsync("backend-services");

            var incoming = await backend.ToggleIncomingAsync();
            Assert.False(incoming);
            await Assertions.Expect(backend.IngestionOffWarning).ToBeVisibleAsync();
            await session.StepAsync("incoming-off");

            await page.ReloadAsync();
            await backend.AssertShownAsync();
            Assert.False(await backend.IsIncomingOnAsync(), "The Incoming service switch did not stay off after a reload.");
            await page.WaitForInteractiveAsync();
            await session.StepAsync("incoming-off-reloaded");

            await shell.SignOutAsync();
            var login = new LoginPage(page);
            await login.AssertShownAsync();
            await page.AssertNotAnErrorPageAsync();
            await session.StepAsync("signed-out");

            await login.SignInAsync(E2EFixture.AdminEmail, fixture.AdminPassword);
            await shell.AssertSignedInAsync(E2EFixture.AdminEmail);
            await session.StepAsync("signed-in-again");

            // The dark theme: toggled in the app bar, remembered by this browser across a reload.
            await shell.ToggleThemeAsync();
            Assert.Equal("dark", await shell.StoredThemeAsync());
            await session.StepAsync("dark-theme");
            var dark = await shell.ThemeBackgroundAsync();
            await page.ReloadAsync();
            await page.WaitForInteractiveAsync();
            await shell.WaitForThemeBackgroundAsync(dark);
            await session.StepAsync("dark-theme-reloaded");
        });
}
