using HaloPortal.Components.Pages.Configuration.Email.Components;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace HaloPortal.Components.Pages.Configuration.Email;

/// <summary>Configuration › Email › Mailboxes: every mailbox with this instance's connection state.</summary>
public sealed partial class MailboxList : IDisposable
{
    private IReadOnlyList<MailboxSummary>? _items;

    [Inject]
    private IMailboxes MailboxService { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IOptions<PortalOptions> Options { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        MailboxService.Changed += OnChanged;
        await LoadAsync();
    }

    private async Task LoadAsync() => _items = await MailboxService.ListAsync();

    private async Task NewAsync()
    {
        var dialog = await Dialogs.ShowAsync<NewMailboxDialog>("New mailbox", new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: int id })
        {
            Navigation.NavigateTo($"/configuration/email/mailboxes/{id}?tab=credentials");
        }
    }

    private void OpenRow(TableRowClickEventArgs<MailboxSummary> row)
    {
        if (row.Item is { } item)
        {
            Navigation.NavigateTo($"/configuration/email/mailboxes/{item.Id}");
        }
    }

    private void OnChanged(int mailboxId) => InvokeAsync(async () =>
    {
        await LoadAsync();
        StateHasChanged();
    });

    public void Dispose() => MailboxService.Changed -= OnChanged;
}
