using HaloPortal.Engine.Mailboxes;
using Microsoft.AspNetCore.Components;

namespace HaloPortal.Components.Pages.Configuration.Email;

/// <summary>One mailbox: its details and its credentials (<c>?tab=credentials|incoming|inbound-log|contacts|outgoing</c> opens that tab).</summary>
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

    /// <summary>The tabs' names in the address (<c>?tab=incoming</c>), in their order on the page.</summary>
    private static readonly string[] TabNames = ["details", "credentials", "incoming", "inbound-log", "contact-imports", "outgoing"];

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        _tab = SignIn is not null ? 1 : Tab?.ToLowerInvariant() switch
        {
            "credentials" => 1,
            "incoming" => 2,
            "inbound-log" or "log" => 3,
            "contacts" or "contact-imports" => 4,
            "outgoing" => 5,
            _ => 0,
        };
        await ReloadAsync();
    }

    /// <summary>
    /// The chosen tab goes into the address (replacing the history entry), so a reload or a shared link opens the same tab.
    /// A finished sign-in's parameters are dropped on the way: they are handled once, when the page opens with them.
    /// </summary>
    private void TabChanged(int index)
    {
        _tab = index;
        var name = TabNames[Math.Clamp(index, 0, TabNames.Length - 1)];
        var current = string.IsNullOrEmpty(Tab) ? "details" : Tab;
        if (SignIn is null && (string.Equals(current, name, StringComparison.OrdinalIgnoreCase) || (index == 3 && current == "log") || (index == 4 && current == "contacts")))
        {
            return;
        }

        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
        {
            ["tab"] = index == 0 ? null : name,
            ["signin"] = null,
            ["code"] = null,
        }), replace: true);
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
