using HaloPortal.Sandbox;
using Microsoft.AspNetCore.Components;

namespace HaloPortal.Components.Pages.Sandbox.Components;

public sealed partial class SandboxMailViewer
{
    private IReadOnlyList<SandboxFolderInfo> _folders = [];
    private IReadOnlyList<SandboxMessageInfo>? _messages;
    private string _folder = "inbox";
    private bool _loading;
    private string? _error;

    [Parameter, EditorRequired]
    public required ISandboxControl Control { get; set; }

    [Parameter, EditorRequired]
    public required IReadOnlyList<SandboxMailboxInfo> Mailboxes { get; set; }

    /// <summary>The address of the mailbox shown.</summary>
    [Parameter]
    public string? Mailbox { get; set; }

    [Parameter]
    public EventCallback<string?> MailboxChanged { get; set; }

    /// <summary>Raised when "Reply to" is pressed on a message.</summary>
    [Parameter]
    public EventCallback<SandboxMessageInfo> Reply { get; set; }

    protected override Task OnInitializedAsync() => RefreshAsync();

    /// <summary>Shows a mailbox folder (after a delivery: the target inbox).</summary>
    public async Task ShowAsync(string mailbox, string folder)
    {
        Mailbox = mailbox;
        _folder = folder;
        await RefreshAsync();
        StateHasChanged();
    }

    private static string Key(SandboxFolderInfo folder) => folder.WellKnownName ?? folder.Id;

    private async Task SelectMailboxAsync(string mailbox)
    {
        Mailbox = mailbox;
        _folder = "inbox";
        await MailboxChanged.InvokeAsync(mailbox);
        await RefreshAsync();
    }

    private async Task SelectFolderAsync(string folder)
    {
        _folder = folder;
        await RefreshAsync();
    }

    private async Task RefreshAsync()
    {
        if (Mailbox is null)
        {
            _messages = [];
            return;
        }

        _loading = true;
        _error = null;
        try
        {
            _folders = await Control.ListFoldersAsync(Mailbox);
            if (!_folders.Any(f => Key(f) == _folder))
            {
                _folder = "inbox";
            }

            _messages = await Control.ListMessagesAsync(Mailbox, _folder);
        }
        catch (SandboxNotFoundException e)
        {
            _error = e.Message;
            _messages = null;
        }
        finally
        {
            _loading = false;
        }
    }
}
