using Microsoft.Playwright;

namespace HaloPortal.E2E.Pages;

/// <summary>Helpers every page object needs for Blazor Server pages.</summary>
public static class BlazorPage
{
    // Interactive Server rendering brackets every component with empty "!" comments; the prerendered HTML has none.
    // So a page shows them exactly when the circuit is up and has rendered, i.e. when clicks reach the server.
    private const string CircuitRendered = """
        () => {
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_COMMENT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                if (node.data === '!') return true;
            }
            return false;
        }
        """;

    /// <summary>Waits until the Blazor Server circuit has taken over the prerendered page (its event handlers work).</summary>
    public static async Task WaitForInteractiveAsync(this IPage page)
    {
        await page.WaitForFunctionAsync(CircuitRendered, null, new() { Timeout = 30_000, PollingInterval = 50 });
    }

    /// <summary>Fails when the page is an error page (developer exception page, status page or the Blazor error bar).</summary>
    public static async Task AssertNotAnErrorPageAsync(this IPage page)
    {
        // The portal's own error page is titled "Error · HaloPortal"; other titles may quote user content
        // (a ticket subject such as "<img onerror=…>"), so only the start of the title decides.
        var title = await page.TitleAsync();
        Assert.False(title.StartsWith("Error", StringComparison.OrdinalIgnoreCase), $"{page.Url} shows the error page ('{title}').");
        Assert.False(title.StartsWith("Not found", StringComparison.OrdinalIgnoreCase), $"{page.Url} shows the not-found page ('{title}').");
        Assert.DoesNotContain("Internal Server Error", title, StringComparison.OrdinalIgnoreCase);
        Assert.False(await page.Locator("#blazor-error-ui").IsVisibleAsync(), $"The Blazor error bar is showing on {page.Url}.");
        Assert.Equal(0, await page.GetByText("An unhandled exception occurred").CountAsync());
    }
}

/// <summary>Driving MudBlazor inputs the way a person does.</summary>
public static class MudInputs
{
    /// <summary>Opens the MudSelect whose input carries <paramref name="select"/>'s test id and clicks the option containing <paramref name="option"/>.</summary>
    /// <param name="exact">Match the option's whole text (e.g. "Notes" but not "Business address: street").</param>
    public static async Task ChooseAsync(this IPage page, ILocator select, string option, bool exact = false)
    {
        await page.Locator(".mud-input-control", new() { Has = select }).First.ClickAsync();
        var items = page.Locator(".mud-popover-open .mud-list-item");
        var item = (exact
            ? items.Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"^\\s*{System.Text.RegularExpressions.Regex.Escape(option)}\\s*$") })
            : items.Filter(new() { HasText = option })).First;
        await item.ClickAsync();
        await Assertions.Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }

    /// <summary>Ticks or unticks a MudCheckBox / MudSwitch by clicking its label (the input itself is visually hidden).</summary>
    public static async Task TickAsync(this IPage page, string testId, bool on)
    {
        var input = page.GetByTestId(testId);
        if (await input.IsCheckedAsync() != on)
        {
            // The inner locator of Has is relative to the label, so it must be a plain page-level test id.
            await page.Locator("label", new() { Has = page.GetByTestId(testId) }).First.ClickAsync();
            if (on)
            {
                await Assertions.Expect(input).ToBeCheckedAsync();
            }
            else
            {
                await Assertions.Expect(input).Not.ToBeCheckedAsync();
            }
        }
    }
}
