using Microsoft.Playwright;

namespace HaloPortal.E2E.Pages;

/// <summary>A mailbox's Contact imports tab: the mappings editor, Import contacts (progress, report).</summary>
public sealed class ContactImportsTab(IPage page)
{
    public ILocator Mappings => page.GetByTestId("contact-mappings");

    public ILocator MappingRows => Mappings.GetByTestId("mapping-row");

    public ILocator Progress => page.GetByTestId("contact-import-progress");

    public ILocator Report => page.GetByTestId("contact-import-report");

    public async Task GotoAsync(int mailboxId)
    {
        await new MailboxPage(page).GotoAsync(mailboxId, "contact-imports");
        await Assertions.Expect(page.GetByTestId("contact-imports-tab")).ToBeVisibleAsync();
        await Assertions.Expect(MappingRows.First).ToBeVisibleAsync();
    }

    /// <summary>
    /// Makes sure <paramref name="outlookLabel"/> maps to <paramref name="userLabel"/>: changes the row of that Outlook field, or adds a row
    /// (Add, then picks both fields in the new last row).
    /// </summary>
    public async Task MapAsync(string outlookLabel, string userLabel)
    {
        if (await IndexOfAsync(outlookLabel, required: false) < 0)
        {
            var before = await MappingRows.CountAsync();
            await Mappings.GetByTestId("add-mapping").ClickAsync();
            await Assertions.Expect(MappingRows).ToHaveCountAsync(before + 1);
            await page.ChooseAsync(page.GetByTestId($"mapping-outlook-{before}"), outlookLabel, exact: true);
            await Assertions.Expect(page.GetByTestId($"mapping-outlook-{before}")).ToHaveTextAsync(outlookLabel);
        }

        var index = await IndexOfAsync(outlookLabel);
        await page.ChooseAsync(page.GetByTestId($"mapping-user-{index}"), userLabel, exact: true);
        await Assertions.Expect(page.GetByTestId($"mapping-user-{index}")).ToHaveTextAsync(userLabel);
    }

    public async Task SaveMappingsAsync()
    {
        await Mappings.GetByTestId("save-mappings").ClickAsync();
        await Assertions.Expect(page.GetByText("Contact mappings saved.").First).ToBeVisibleAsync();
        await Assertions.Expect(Mappings.GetByTestId("mappings-default")).ToHaveCountAsync(0);
        await Assertions.Expect(Mappings.GetByTestId("mapping-errors")).ToHaveCountAsync(0);
    }

    /// <summary>The user field the row of <paramref name="outlookLabel"/> maps to, as shown.</summary>
    public async Task<string> TargetOfAsync(string outlookLabel) =>
        (await page.GetByTestId($"mapping-user-{await IndexOfAsync(outlookLabel)}").TextContentAsync())!.Trim();

    /// <summary>Presses Import contacts; <paramref name="whileRunning"/> runs once the progress bar is showing.</summary>
    public async Task<ILocator> ImportAsync(Func<Task>? whileRunning = null)
    {
        await page.GetByTestId("import-contacts").ClickAsync();
        await Assertions.Expect(Progress.Locator(".mud-progress-linear")).ToBeVisibleAsync();
        if (whileRunning is not null)
        {
            await whileRunning();
        }

        await Assertions.Expect(Progress).ToHaveCountAsync(0, new() { Timeout = 90_000 });
        await Assertions.Expect(Report.GetByTestId("contact-import-counts")).ToBeVisibleAsync();
        return Report;
    }

    // A MudSelect's test id sits on the element that shows the chosen item's text.
    private async Task<int> IndexOfAsync(string outlookLabel, bool required = true)
    {
        var count = await MappingRows.CountAsync();
        for (var i = 0; i < count; i++)
        {
            if ((await page.GetByTestId($"mapping-outlook-{i}").TextContentAsync())?.Trim() == outlookLabel)
            {
                return i;
            }
        }

        return required ? throw new InvalidOperationException($"No contact mapping row shows the Outlook field '{outlookLabel}'.") : -1;
    }
}

/// <summary>/users: search, the list's rows, and a user's page.</summary>
public sealed class UsersPage(IPage page)
{
    public ILocator Rows => page.GetByTestId("users").Locator("tbody tr");

    public async Task GotoAsync()
    {
        await page.GotoAsync("/users");
        await Assertions.Expect(page.Locator("#page-title")).ToHaveTextAsync("Users");
        await page.WaitForInteractiveAsync();
    }

    /// <summary>Types into the search box and returns the row of the user with this email once the list shows only matches.</summary>
    public async Task<ILocator> SearchAsync(string text, string email)
    {
        await page.GetByTestId("user-search").FillAsync(text);
        var row = Rows.Filter(new() { Has = page.GetByTestId("user-email").GetByText(email, new() { Exact = true }) });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        return row;
    }
}
