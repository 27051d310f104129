using HaloPortal.Sandbox;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace HaloPortal.Components.Pages.Sandbox.Components;

public sealed partial class SandboxTenantCard
{
    private IReadOnlyList<SandboxApplicationInfo>? _applications;
    private IReadOnlyList<SandboxUserInfo>? _users;
    private IReadOnlyList<SandboxMailboxInfo>? _mailboxes;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Parameter, EditorRequired]
    public required ISandboxControl Control { get; set; }

    [Parameter, EditorRequired]
    public required SandboxTenantInfo Tenant { get; set; }

    /// <summary>Set on the demo tenant's card: its seeded credentials are shown.</summary>
    [Parameter]
    public SandboxDemoTenant? Demo { get; set; }

    private string TenantKey => Tenant.TenantId.ToString();

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        var applications = Control.ListApplicationsAsync(TenantKey);
        var users = Control.ListUsersAsync(TenantKey);
        var mailboxes = Control.ListMailboxesAsync(TenantKey);
        _applications = (await applications).OrderBy(a => a.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();
        _users = await users;
        _mailboxes = await mailboxes;
    }

    private async Task NewApplicationAsync()
    {
        var parameters = new DialogParameters<NewSandboxApplicationDialog>
        {
            { d => d.Control, Control },
            { d => d.Tenant, Tenant },
            { d => d.DefaultRedirectUri, Navigation.BaseUri + "authcallback" },
        };
        var dialog = await Dialogs.ShowAsync<NewSandboxApplicationDialog>("New application", parameters,
            new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true, BackdropClick = false });
        if (await dialog.Result is { Canceled: false })
        {
            await LoadAsync();
        }
    }

    private async Task NewUserAsync()
    {
        var parameters = new DialogParameters<NewSandboxUserDialog>
        {
            { d => d.Control, Control },
            { d => d.Tenant, Tenant },
            { d => d.ExistingUsers, _users?.Select(u => u.UserPrincipalName).ToList() ?? [] },
        };
        var dialog = await Dialogs.ShowAsync<NewSandboxUserDialog>("New user or mailbox", parameters,
            new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, BackdropClick = false });
        if (await dialog.Result is { Canceled: false })
        {
            await LoadAsync();
        }
    }
}
