using HaloPortal.Engine.Mailboxes;
using Microsoft.AspNetCore.Components;

namespace HaloPortal.Components.Pages.Configuration.Email;

/// <summary>One mailbox: its details and its credentials (<c>?tab=credentials|incoming|inbound-log|contacts|outgoing|monitoring</c> opens that tab).</summary>
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
    private static readonly string[] TabNames = ["details", "credentials", "incoming", "inbound-log", "contact-imports", "outgoing", "monitoring"];

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        _tab = SignIn is not null ? 1 : TabIndex(Tab);

        // Choosing a tab changes only the query: the mailbox is loaded again only for another mailbox (Changed keeps it fresh).
        if (_mailbox?.Id != Id)
        {
            await ReloadAsync();
        }
    }

    /// <summary>The tab a <c>?tab=</c> value names (older links' short names included); Details when none or unknown.</summary>
    private static int TabIndex(string? name) => name?.ToLowerInvariant() switch
    {
        "log" => 3,
        "contacts" => 4,
        { } known when Array.IndexOf(TabNames, known) is > 0 and var index => index,
        _ => 0,
    };

    /// <summary>
    /// The chosen tab goes into the address (replacing the history entry), so a reload or a shared link opens the same tab.
    /// A finished sign-in's parameters are dropped on the way: they are handled once, when the page opens with them.
    /// </summary>
    private void TabChanged(int index)
    {
        _tab = index;
        if (SignIn is null && TabIndex(Tab) == index)
        {
            return;
        }

        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
        {
            ["tab"] = index <= 0 || index >= TabNames.Length ? null : TabNames[index],
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
