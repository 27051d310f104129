using Bunit;
using HaloPortal.Components.Pages.Configuration.Email.Incoming;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Components.Ingestion;

public sealed class IncomingTabTests
{
    [Fact]
    public async Task A_maximum_size_over_the_limit_is_refused_with_the_range_and_nothing_is_saved()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var mailbox = await ctx.MailboxAsync();
        var tab = ctx.RenderWithProviders<IncomingTab>(p => p.Add(t => t.MailboxId, mailbox));
        tab.WaitForAssertion(() => Assert.NotNull(tab.ByTestId("max-size")));

        tab.ByTestId("max-size").Change("500");
        tab.ByTestId("save-incoming").Click();

        tab.WaitForAssertion(() => Assert.Contains("between 1 and 150 MB", tab.ByTestId("incoming-error").TextContent));
        var saved = await ctx.Services.GetRequiredService<IMailboxes>().GetAsync(mailbox);
        Assert.Equal(25, saved!.Incoming.MaxEmailSizeMb);
    }

    [Fact]
    public async Task Valid_settings_are_saved()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var mailbox = await ctx.MailboxAsync();
        var tab = ctx.RenderWithProviders<IncomingTab>(p => p.Add(t => t.MailboxId, mailbox));
        tab.WaitForAssertion(() => Assert.NotNull(tab.ByTestId("max-size")));

        tab.ByTestId("max-size").Change("40");
        tab.ByTestId("processed-folder").Change("Done");
        tab.ByTestId("save-incoming").Click();

        var mailboxes = ctx.Services.GetRequiredService<IMailboxes>();
        tab.WaitForAssertion(() => Assert.Equal(40, mailboxes.GetAsync(mailbox).GetAwaiter().GetResult()!.Incoming.MaxEmailSizeMb));
        Assert.Equal(new IncomingSettings(true, "inbox", ProcessedMailAction.MoveToFolder, "Done", 40), (await mailboxes.GetAsync(mailbox))!.Incoming);
        Assert.Empty(tab.AllByTestId("incoming-error"));
    }

    [Fact]
    public async Task Leave_in_place_explains_what_it_means_hides_the_folder_and_is_saved()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var mailbox = await ctx.MailboxAsync();
        var tab = ctx.RenderWithProviders<IncomingTab>(p => p.Add(t => t.MailboxId, mailbox));
        tab.WaitForAssertion(() => Assert.NotNull(tab.ByTestId("processed-folder")));
        Assert.Empty(tab.AllByTestId("processed-leave-help"));

        var radio = tab.ByTestId("processed-leave");
        (radio.TagName == "INPUT" ? radio : radio.QuerySelector("input")!).Click();

        tab.WaitForAssertion(() => Assert.Contains("full resyncs never", tab.ByTestId("processed-leave-help").TextContent));
        Assert.Empty(tab.AllByTestId("processed-folder"));
        tab.ByTestId("save-incoming").Click();
        var mailboxes = ctx.Services.GetRequiredService<IMailboxes>();
        tab.WaitForAssertion(() => Assert.Equal(ProcessedMailAction.LeaveInPlace, mailboxes.GetAsync(mailbox).GetAwaiter().GetResult()!.Incoming.ProcessedAction));
        Assert.Empty(tab.AllByTestId("incoming-error"));
    }

    [Fact]
    public async Task Import_without_credentials_reports_why_nothing_was_read()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var mailbox = await ctx.MailboxAsync();
        var tab = ctx.RenderWithProviders<IncomingTab>(p => p.Add(t => t.MailboxId, mailbox));
        tab.WaitForAssertion(() => Assert.NotNull(tab.ByTestId("import-now")));

        tab.ByTestId("import-now").Click();

        tab.WaitForAssertion(() => Assert.Contains("no Production credentials", tab.ByTestId("import-skipped").TextContent));
    }
}
