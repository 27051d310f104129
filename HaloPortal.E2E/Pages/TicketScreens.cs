using Microsoft.Playwright;

namespace HaloPortal.E2E.Pages;

/// <summary>/tickets and /tickets/{id}: the list, the thread and the reply composer.</summary>
public sealed class TicketScreens(IPage page)
{
    public ILocator Messages => page.GetByTestId("ticket-message");

    public ILocator Composer => page.GetByTestId("reply-composer");

    /// <summary>The list's row of the ticket with this subject.</summary>
    public ILocator Row(string subject) =>
        page.GetByTestId("tickets").Locator("tr", new() { Has = page.GetByTestId("ticket-subject").Filter(new() { HasText = subject }) });

    public async Task GotoListAsync()
    {
        await page.GotoAsync("/tickets");
        await page.WaitForInteractiveAsync();
        await page.AssertNotAnErrorPageAsync();
    }

    /// <summary>Opens the ticket with this subject from the list.</summary>
    public async Task OpenAsync(string subject)
    {
        await GotoListAsync();
        await Assertions.Expect(Row(subject)).ToHaveCountAsync(1);
        await Row(subject).GetByTestId("ticket-link").ClickAsync();
        await Assertions.Expect(page.GetByTestId("ticket-thread")).ToBeVisibleAsync();
        await page.WaitForInteractiveAsync();
    }

    /// <summary>Writes a reply and presses Send; returns the thread entry of the reply (the outbound message whose body has the text).</summary>
    public async Task<ILocator> ReplyAsync(string text)
    {
        var composer = page.GetByTestId("reply-composer");
        await composer.GetByTestId("reply-text").FillAsync(text);
        await Assertions.Expect(composer.GetByTestId("reply-send")).ToBeEnabledAsync();
        await composer.GetByTestId("reply-send").ClickAsync();
        var reply = Messages.Filter(new() { Has = page.GetByTestId("outbound-status"), HasText = text });
        await Assertions.Expect(reply).ToHaveCountAsync(1);
        return reply;
    }
}
