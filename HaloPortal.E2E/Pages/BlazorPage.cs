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
        var title = await page.TitleAsync();
        Assert.DoesNotContain("Error", title, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("exception", title, StringComparison.OrdinalIgnoreCase);
        Assert.False(await page.Locator("#blazor-error-ui").IsVisibleAsync(), $"The Blazor error bar is showing on {page.Url}.");
        Assert.Equal(0, await page.GetByText("An unhandled exception occurred").CountAsync());
    }
}
