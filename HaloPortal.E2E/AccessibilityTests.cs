using System.Collections.Concurrent;
using System.Text.Json;
using HaloPortal.E2E.Infrastructure;
using HaloPortal.E2E.Pages;
using Microsoft.Playwright;

namespace HaloPortal.E2E;

/// <summary>
/// The main screens for keyboard and screen-reader users: axe-core (from npm, run in the test's Chromium) finds no serious or
/// critical WCAG 2 A/AA violation, each page has one main landmark and one h1, the first Tab reaches a skip link that moves
/// focus into the content, and nothing is fetched from another origin (the web font ships with the portal).
/// </summary>
[Collection(AdminE2ECollection.Name)]
public sealed class AccessibilityTests(AdminE2EFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string[] Screens =
    [
        "/",
        "/tickets",
        "/users",
        "/notifications",
        "/configuration/email/mailboxes",
        "/configuration/email/mailboxes/1",
        "/configuration/email/mailboxes/1?tab=credentials",
        "/configuration/email/mailboxes/1?tab=incoming",
        "/configuration/email/mailboxes/1?tab=inbound-log",
        "/configuration/email/mailboxes/1?tab=contact-imports",
        "/configuration/email/mailboxes/1?tab=outgoing",
        "/configuration/email/mailboxes/1?tab=monitoring",
        "/configuration/email/email-rules",
        "/configuration/email/general-settings",
        "/configuration/email/common-errors",
        "/configuration/teams/agents",
        "/configuration/advanced/backend-services",
        "/configuration/advanced/backend-service-monitoring",
        "/configuration/advanced/api-keys",
        "/configuration/advanced/audit-log",
        "/configuration/advanced/data-retention",
        "/tools/sandbox",
    ];

    private static readonly Lazy<string> Axe = new(() => File.ReadAllText(Path.Combine(RepoPaths.Root, "HaloPortal.E2E", "Accessibility", "axe.min.js")));

    [Fact]
    public Task The_main_screens_have_no_serious_accessibility_violations_and_fetch_nothing_from_elsewhere() =>
        fixture.RunAsync("accessibility", async session =>
        {
            var page = session.Page;
            var origin = fixture.Portal.BaseAddress.GetLeftPart(UriPartial.Authority);
            var foreign = new ConcurrentQueue<string>();
            page.Request += (_, request) =>
            {
                if (!request.Url.StartsWith(origin, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
                {
                    foreign.Enqueue(request.Url);
                }
            };

            var problems = new List<string>();
            foreach (var screen in Screens)
            {
                await page.GotoAsync(screen);
                await page.WaitForInteractiveAsync();
                await page.AssertNotAnErrorPageAsync();
                await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

                var mains = await page.Locator("main").CountAsync();
                var headings = await page.Locator("h1").AllInnerTextsAsync();
                if (mains != 1)
                {
                    problems.Add($"{screen}: {mains} <main> landmarks");
                }

                if (headings.Count != 1)
                {
                    problems.Add($"{screen}: {headings.Count} <h1> headings ({string.Join(" | ", headings)})");
                }

                problems.AddRange((await ViolationsAsync(page)).Select(v => $"{screen}: {v}"));
                await session.StepAsync(StepName(screen));
            }

            // The same screens on a phone (390 px): screenshots to look at, and how far each page scrolls sideways.
            await page.SetViewportSizeAsync(390, 844);
            var overflow = new List<string>();
            foreach (var screen in Screens)
            {
                await page.GotoAsync(screen);
                await page.WaitForInteractiveAsync();
                var width = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
                if (width > 390)
                {
                    overflow.Add($"{screen}: {width} px");
                }

                await session.StepAsync(StepName(screen) + "-390");
            }

            await page.SetViewportSizeAsync(1366, 860);
            output.WriteLine(overflow.Count == 0 ? "no screen scrolls sideways at 390 px" : "wider than 390 px: " + string.Join(", ", overflow));
            Assert.True(overflow.Count == 0, "These screens scroll sideways on a 390 px phone: " + string.Join(", ", overflow));
            Assert.True(problems.Count == 0, $"{problems.Count} accessibility problem(s):\n" + string.Join("\n", problems));

            var fonts = await page.EvaluateAsync<string[]>("() => [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family + ' ' + f.weight)");
            Assert.Contains(fonts, f => f.Contains("Roboto", StringComparison.Ordinal));
            Assert.True(foreign.IsEmpty, "Requests left the portal's origin: " + string.Join(", ", foreign.Distinct()));
        });

    [Fact]
    public Task The_first_tab_reaches_a_skip_link_that_moves_focus_into_the_page() =>
        fixture.RunAsync("skip-link", async session =>
        {
            var page = session.Page;
            await page.GotoAsync("/configuration/email/common-errors");
            await page.WaitForInteractiveAsync();
            // Let the page settle (the bell's count and the table arrive after the first render) before Tab is pressed.
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            await Assertions.Expect(page.GetByTestId("skip-link")).ToBeAttachedAsync();

            // Start from the top of the document, as after loading the page: focusing <body> resets where Tab starts from.
            await page.EvaluateAsync("() => { window.scrollTo(0, 0); document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute('tabindex'); }");
            await page.Keyboard.PressAsync("Tab");
            var skip = page.GetByTestId("skip-link");
            await Assertions.Expect(skip).ToBeFocusedAsync();
            await Assertions.Expect(skip).ToBeInViewportAsync();
            Assert.Equal("2px", await skip.EvaluateAsync<string>("e => getComputedStyle(e).outlineWidth"));
            await session.StepAsync("skip-link-focused");

            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(page.Locator("main#main-content")).ToBeFocusedAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/configuration/email/common-errors"));

            // The next Tab goes to the page's first control, not back into the app bar.
            await page.Keyboard.PressAsync("Tab");
            var inMain = await page.EvaluateAsync<bool>("() => !!document.activeElement?.closest('main')");
            Assert.True(inMain, "After the skip link, Tab left the main content.");
            await session.StepAsync("focus-in-main");
        });

    private static string StepName(string screen) => screen == "/" ? "home" : screen.Trim('/').Replace('/', '-');

    /// <summary>Runs axe-core on the page; returns its serious and critical WCAG 2 A/AA violations, one line each.</summary>
    private static async Task<List<string>> ViolationsAsync(IPage page)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe !== 'undefined'"))
        {
            // Evaluated through the DevTools protocol, so the portal's Content-Security-Policy does not apply to the test tool.
            await page.EvaluateAsync(Axe.Value + "\n;undefined");
        }

        var json = await page.EvaluateAsync<string>("""
            async () => {
                const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
                return JSON.stringify(result.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map(n => n.html.slice(0, 200)) })));
            }
            """);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Select(v => $"{v.GetProperty("impact").GetString()} {v.GetProperty("id").GetString()}: {v.GetProperty("help").GetString()} at " +
                string.Join(", ", v.GetProperty("targets").EnumerateArray().Select(t => t.GetString())))
            .ToList();
    }
}
