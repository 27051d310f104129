using Bunit;
using HaloPortal.Sandbox;
using Microsoft.AspNetCore.Components.Forms;

namespace HaloPortal.Tests.Components.Sandbox;

public sealed class SandboxMailTests : SandboxScreenTest
{
    [Fact]
    public async Task A_composed_message_is_delivered_and_appears_in_the_viewer_and_a_reply_threads_on_it()
    {
        var page = await OpenAsync("mail");
        page.WaitForElement("[data-testid='composer-send']");
        page.WaitForAssertion(() => Assert.True(page.Has("viewer-messages") || page.Has("viewer-empty")));
        var before = (await Control.ListMessagesAsync(Demo.SharedMailbox, "inbox")).Count;

        page.ByTestId("composer-from").Input("Jane Customer <jane@customer.example>");
        page.ByTestId("composer-subject").Input("Printer on fire");
        page.ByTestId("composer-body").Input("Please help.");
        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("log line", "printer.log"));
        page.WaitForElement("[data-testid='composer-attachment']");
        page.ByTestId("composer-send").Click();

        var row = page.WaitForElement("[data-testid='viewer-message'][data-subject='Printer on fire']");
        Assert.Contains("jane@customer.example", row.TextContent);
        Assert.Equal("Unread", row.QuerySelector("[data-testid='viewer-message-read']")!.TextContent.Trim());
        var messages = await Control.ListMessagesAsync(Demo.SharedMailbox, "inbox");
        Assert.Equal(before + 1, messages.Count);
        var original = messages.Single(m => m.Subject == "Printer on fire");
        Assert.Equal(original.InternetMessageId, page.ByTestId("composer-delivered").GetAttribute("data-message-id"));

        page.Find("[data-testid='viewer-message'][data-subject='Printer on fire'] [data-testid='viewer-reply']").Click();
        page.WaitForElement("[data-testid='composer-reply-to']");
        Assert.Equal("RE: Printer on fire", page.ByTestId("composer-subject").GetAttribute("value"));
        page.ByTestId("composer-send").Click();

        page.WaitForElement("[data-testid='viewer-message'][data-subject='RE: Printer on fire']");
        page.WaitForAssertion(() => Assert.False(page.Has("composer-reply-to")));
        Assert.Equal(before + 2, (await Control.ListMessagesAsync(Demo.SharedMailbox, "inbox")).Count);
    }

    [Fact]
    public async Task Attachments_are_listed_once_and_cleared_after_delivery_and_the_confirmation_names_what_was_sent()
    {
        var page = await OpenAsync("mail");
        page.WaitForElement("[data-testid='composer-send']");
        page.ByTestId("composer-subject").Input("Scanner logs");
        page.ByTestId("composer-body").Input("Two logs attached.");
        var upload = page.FindComponent<InputFile>();
        upload.UploadFiles(InputFileContent.CreateFromText("first", "scan-1.log"));
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid='composer-attachment']")));
        // The same file picked again is not listed twice; a second pick adds only the new file.
        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("first", "scan-1.log"), InputFileContent.CreateFromText("second!", "scan-2.log"));
        page.WaitForAssertion(() => Assert.Equal(["scan-1.log", "scan-2.log"],
            page.FindAll("[data-testid='composer-attachment']").Select(c => c.TextContent.Split(" (")[0].Trim()).ToArray()));

        page.ByTestId("composer-send").Click();
        var delivered = page.WaitForElement("[data-testid='composer-delivered']");
        Assert.Contains("“Scanner logs”", delivered.TextContent);
        Assert.Contains("with 2 attachments", delivered.TextContent);
        Assert.Empty(page.FindAll("[data-testid='composer-attachment']"));
        Assert.Contains(await Control.ListMessagesAsync(Demo.SharedMailbox, "inbox"), m => m.Subject == "Scanner logs");
    }

    [Fact]
    public async Task The_viewer_lists_the_folders_of_a_mailbox_and_an_empty_folder_says_so()
    {
        var page = await OpenAsync("mail");
        page.WaitForElement("[data-testid='viewer-folder']");
        Choose(page.ByTestId("viewer-folder"), "Sent Items");
        page.WaitForElement("[data-testid='viewer-empty']");
        var folders = await Control.ListFoldersAsync(Demo.SharedMailbox);
        Assert.Equal("inbox", folders[0].WellKnownName);
        Assert.DoesNotContain(folders, f => f.WellKnownName == "msgfolderroot");
    }

    [Fact]
    public async Task A_bad_sender_address_is_refused_with_what_to_write()
    {
        var page = await OpenAsync("mail");
        page.WaitForElement("[data-testid='composer-from']").Input("not an address");
        page.ByTestId("composer-send").Click();
        Assert.Contains("is not an email address", page.WaitForElement("[data-testid='composer-error']").TextContent);
    }
}
