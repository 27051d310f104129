using HaloPortal.Engine.Mailboxes;
using Microsoft.AspNetCore.Components;

namespace HaloPortal.Components.Pages.Configuration.Email;

/// <summary>One mailbox: its details and its credentials (<c>?tab=credentials|incoming|inbound-log|outgoing</c> opens that tab).</summary>
public sealed partial class MailboxPage : IDisposable
{
    private MailboxDetails? _mailbox;
    private bool _loading = true;
    private int _tab;

    [Parameter]
    public int Id { get; set; }

    [SupplyParameterFromQuery(Name = "tab")]
    public string? Tab { get; set; }

    /// <summary>The credential the sign-in returned for (highlighted).</summary>
    [SupplyParameterFromQuery(Name = "credential")]
    public int? Credential { get; set; }

    /// <summary>"ok" or "failed" after the sign-in redirect.</summary>
    [SupplyParameterFromQuery(Name = "signin")]
    public string? SignIn { get; set; }

    /// <summary>The catalogued error code of a failed sign-in.</summary>
    [SupplyParameterFromQuery(Name = "code")]
    public string? Code { get; set; }

    [Inject]
    private IMailboxes Mailboxes { get; set; } = default!;

    protected override void OnInitialized() => Mailboxes.Changed += OnChanged;

    protected override async Task OnParametersSetAsync()
    {
        _tab = SignIn is not null ? 1 : Tab?.ToLowerInvariant() switch
        {
            "credentials" => 1,
            "incoming" => 2,
            "inbound-log" or "log" => 3,
            "outgoing" => 4,
            _ => 0,
        };
        await ReloadAsync();
    }

    private async Task ReloadAsync()
    {
        _mailbox = await Mailboxes.GetAsync(Id);
        _loading = false;
    }

    private void OnChanged(int mailboxId)
    {
        if (mailboxId == Id)
        {
            _ = InvokeAsync(async () =>
            {
                await ReloadAsync();
                StateHasChanged();
            });
        }
    }

    public void Dispose() => Mailboxes.Changed -= OnChanged;
}
