using Bunit;
using HaloPortal.Components.Pages.Configuration.Email.Incoming;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Components.Ingestion;

/// <summary>Import emails on the Incoming tab: every import is a run, its report survives a reload (<c>?import=</c>), and the history opens any run.</summary>
public sealed class ImportEmailsPanelTests
{
    [Fact]
    public async Task Without_imports_the_history_explains_itself_and_no_report_is_shown()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var mailbox = await ctx.MailboxAsync();

        var panel = ctx.RenderWithProviders<ImportEmailsPanel>(p => p.Add(t => t.MailboxId, mailbox));

        panel.WaitForAssertion(() => Assert.Contains("No emails have been imported by hand yet", panel.ByTestId("import-history-empty").TextContent));
        Assert.Empty(panel.AllByTestId("import-report"));
    }

    [Fact]
    public async Task An_import_from_the_screen_is_recorded_and_named_in_the_address()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var mailbox = await ctx.MailboxAsync();
        var panel = ctx.RenderWithProviders<ImportEmailsPanel>(p => p.Add(t => t.MailboxId, mailbox));
        panel.WaitForAssertion(() => Assert.NotNull(panel.ByTestId("import-now")));

        panel.ByTestId("import-now").Click();

        panel.WaitForAssertion(() => Assert.Contains("no Production credentials", panel.ByTestId("import-skipped").TextContent));
        var run = Assert.Single(await ctx.Services.GetRequiredService<IImportRuns>().ListAsync(mailbox));
        Assert.Equal(ImportRunStatus.Skipped, run.Status);
        Assert.Equal(ImportRunTrigger.Screen, run.Trigger);
        Assert.Equal("user@example.com", run.StartedBy);
        Assert.EndsWith($"?import={run.Id}", ctx.Services.GetRequiredService<NavigationManager>().Uri);
        panel.WaitForAssertion(() => Assert.Equal("Skipped", panel.ByTestId("import-history").QuerySelector("[data-testid='import-run-status']")!.GetAttribute("data-status")));
    }

    [Fact]
    public async Task The_run_in_the_address_shows_its_stopping_error_with_the_fix_and_a_history_row_opens_another()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var mailbox = await ctx.MailboxAsync();
        var runs = ctx.Services.GetRequiredService<IImportRuns>();
        var denied = await runs.StartAsync(mailbox, ImportRunTrigger.Api, IngestionTestContext.Admin);
        var error = KnownErrors.Find("ErrorAccessDenied")! with { Message = "Graph denied access: Access to OData is disabled." };
        await runs.FinishAsync(denied.Id, new ScanReport(0, 0, 0, 0, 0, 0, error));
        var finished = await runs.StartAsync(mailbox, ImportRunTrigger.Screen, IngestionTestContext.Admin);
        await runs.FinishAsync(finished.Id, new ScanReport(3, 2, 0, 1, 0, 0, null));
        var navigation = ctx.Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo($"/configuration/email/mailboxes/{mailbox}?tab=incoming&import={denied.Id}");

        var panel = ctx.RenderWithProviders<ImportEmailsPanel>(p => p.Add(t => t.MailboxId, mailbox));

        panel.WaitForAssertion(() => Assert.Equal(denied.Id.ToString(), panel.ByTestId("import-report").GetAttribute("data-run-id")));
        Assert.Contains("Import stopped: Access to the mailbox denied", panel.ByTestId("import-outcome").TextContent);
        Assert.Equal("ErrorAccessDenied", panel.ByTestId("import-error").GetAttribute("data-code"));
        Assert.Contains("Access to OData is disabled.", panel.ByTestId("import-error").TextContent);
        Assert.Contains("How to fix:", panel.ByTestId("import-error").TextContent);
        Assert.Equal("/configuration/email/common-errors?code=ErrorAccessDenied", panel.ByTestId("common-error-link").GetAttribute("href"));
        Assert.Equal("0", panel.ByTestId("count-fetched").TextContent);
        Assert.Equal(["3 emails, 2 tickets opened, 1 ignored", "ErrorAccessDenied · 0 emails"], panel.AllByTestId("import-history-summary").Select(s => s.TextContent));

        panel.AllByTestId("import-history-open").Single(b => b.GetAttribute("data-run-id") == finished.Id.ToString()).Click();

        panel.WaitForAssertion(() => Assert.Equal(finished.Id.ToString(), panel.ByTestId("import-report").GetAttribute("data-run-id")));
        Assert.Equal("Import finished: the mailbox was read", panel.ByTestId("import-outcome").TextContent);
        Assert.Empty(panel.AllByTestId("import-error"));
        Assert.EndsWith($"tab=incoming&import={finished.Id}", navigation.Uri);
    }

    [Fact]
    public async Task Without_a_run_in_the_address_the_latest_run_is_shown()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var mailbox = await ctx.MailboxAsync();
        var runs = ctx.Services.GetRequiredService<IImportRuns>();
        var first = await runs.StartAsync(mailbox, ImportRunTrigger.Screen, IngestionTestContext.Admin);
        await runs.FinishAsync(first.Id, new ScanReport(1, 1, 0, 0, 0, 0, null));
        ctx.Clock.Advance(TimeSpan.FromMinutes(1));
        var latest = await runs.StartAsync(mailbox, ImportRunTrigger.Screen, IngestionTestContext.Admin);
        await runs.FinishAsync(latest.Id, new ScanReport(1, 0, 1, 0, 0, 0, null));

        var panel = ctx.RenderWithProviders<ImportEmailsPanel>(p => p.Add(t => t.MailboxId, mailbox));

        panel.WaitForAssertion(() => Assert.Equal(latest.Id.ToString(), panel.ByTestId("import-report").GetAttribute("data-run-id")));
        Assert.Equal(["1 email, 1 updated", "1 email, 1 ticket opened"], panel.AllByTestId("import-history-summary").Select(s => s.TextContent));
    }

    [Fact]
    public async Task A_run_that_resynced_shows_its_note_in_the_report_and_marks_its_history_row()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var mailbox = await ctx.MailboxAsync();
        var runs = ctx.Services.GetRequiredService<IImportRuns>();
        var plain = await runs.StartAsync(mailbox, ImportRunTrigger.Screen, IngestionTestContext.Admin);
        await runs.FinishAsync(plain.Id, new ScanReport(1, 1, 0, 0, 0, 0, null));
        ctx.Clock.Advance(TimeSpan.FromMinutes(1));
        const string note = "The delta sync state had expired (Graph answered 410 SyncStateNotFound); the folder was resynced from scratch: 4 messages listed, 3 already recorded and skipped, 1 to process (new, or recorded but unfinished).";
        var resynced = await runs.StartAsync(mailbox, ImportRunTrigger.Api, IngestionTestContext.Admin);
        await runs.FinishAsync(resynced.Id, new ScanReport(1, 1, 0, 0, 0, 0, null) { Note = note });

        var panel = ctx.RenderWithProviders<ImportEmailsPanel>(p => p.Add(t => t.MailboxId, mailbox));

        panel.WaitForAssertion(() => Assert.Equal(resynced.Id.ToString(), panel.ByTestId("import-report").GetAttribute("data-run-id")));
        Assert.Equal(note, panel.ByTestId("import-note").TextContent.Trim());
        Assert.Contains("mud-alert-text-info", panel.ByTestId("import-note").ClassName);
        var marked = Assert.Single(panel.AllByTestId("import-history-note"));
        Assert.Equal(note, marked.GetAttribute("aria-label"));
        Assert.Equal(resynced.Id.ToString(), marked.Closest("tr")!.QuerySelector("[data-testid='import-history-open']")!.GetAttribute("data-run-id"));
        Assert.Equal(["1 email, 1 ticket opened", "1 email, 1 ticket opened"], panel.AllByTestId("import-history-summary").Select(s => s.TextContent));

        panel.AllByTestId("import-history-open").Single(b => b.GetAttribute("data-run-id") == plain.Id.ToString()).Click();

        panel.WaitForAssertion(() => Assert.Equal(plain.Id.ToString(), panel.ByTestId("import-report").GetAttribute("data-run-id")));
        Assert.Empty(panel.AllByTestId("import-note"));
    }
}
