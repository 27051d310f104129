using HaloPortal.Sandbox;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace HaloPortal.Components.Pages.Sandbox.Components;

public sealed partial class SandboxFaultsPanel
{
    private const string AllMailboxes = "*";

    private IReadOnlyList<SandboxMailboxInfo> _mailboxes = [];
    private IReadOnlyList<SandboxFaultInfo>? _faults;
    private SandboxFaultKind _kind = SandboxFaultKind.Throttle;
    private string _mailbox = AllMailboxes;
    private int _status = 503;
    private int _retryAfter = 2;
    private int _delay = 10;
    private int? _count = 3;
    private bool _busy;
    private string? _error;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Parameter, EditorRequired]
    public required ISandboxControl Control { get; set; }

    protected override async Task OnInitializedAsync()
    {
        _mailboxes = await Control.ListMailboxesAsync();
        _faults = await Control.ListFaultsAsync();
    }

    internal static string KindLabel(SandboxFaultKind kind) => kind switch
    {
        SandboxFaultKind.Throttle => "Throttle (429)",
        SandboxFaultKind.FailRequests => "Fail requests",
        SandboxFaultKind.DelayNotifications => "Delay notifications",
        SandboxFaultKind.DropNotifications => "Drop notifications",
        SandboxFaultKind.RevokeGrants => "Revoke grants",
        SandboxFaultKind.ExpireDeltaTokens => "Expire delta tokens (410)",
        _ => kind.ToString(),
    };

    private static string KindHelp(SandboxFaultKind kind) => kind switch
    {
        SandboxFaultKind.Throttle => "Graph answers 429 ApplicationThrottled with Retry-After.",
        SandboxFaultKind.FailRequests => "Graph answers with this status (e.g. 503 Service Unavailable, 403 ErrorAccessDenied). Every Graph call on the mailbox uses up one request — Test connection makes several, so a small count can be spent before an import runs.",
        SandboxFaultKind.DelayNotifications => "Change notifications are held back this many seconds.",
        SandboxFaultKind.DropNotifications => "Change notifications are not sent at all (the safety scan must find the mail).",
        SandboxFaultKind.RevokeGrants => "Refresh tokens issued so far stop working at once (invalid_grant): mailboxes signed in with Authorisation code need re-authorising. " +
            "It does nothing to a mailbox read with Client credentials (app-only access has no grant to revoke): use Fail requests with 403 to lock one out.",
        SandboxFaultKind.ExpireDeltaTokens => "The next use of a saved delta link answers 410 Gone (SyncStateNotFound), as Graph does when it dropped the sync state: the portal must resync the folder from scratch without a duplicate ticket.",
        _ => "",
    };

    private static string Details(SandboxFaultInfo fault) => fault.Kind switch
    {
        SandboxFaultKind.Throttle => $"Retry-After {fault.RetryAfterSeconds ?? 0} s",
        SandboxFaultKind.FailRequests => $"HTTP {fault.Status ?? 503}",
        SandboxFaultKind.DelayNotifications => $"{fault.DelaySeconds ?? 0} s late",
        _ => "",
    };

    private async Task AddAsync()
    {
        _error = null;
        _busy = true;
        try
        {
            var counted = _kind is SandboxFaultKind.Throttle or SandboxFaultKind.FailRequests or SandboxFaultKind.ExpireDeltaTokens;
            await Control.AddFaultAsync(new SandboxFaultRequest(
                _mailbox == AllMailboxes ? null : _mailbox,
                _kind,
                _kind == SandboxFaultKind.FailRequests ? _status : null,
                counted ? _count : null,
                _kind == SandboxFaultKind.Throttle ? _retryAfter : null,
                _kind == SandboxFaultKind.DelayNotifications ? _delay : null));
            Snackbar.Add($"{KindLabel(_kind)} added for {(_mailbox == AllMailboxes ? "all mailboxes" : _mailbox)}.", Severity.Warning);
            _faults = await Control.ListFaultsAsync();
        }
        catch (Exception e) when (e is ArgumentException or SandboxNotFoundException)
        {
            _error = e is ArgumentException refusal ? HaloPortal.Components.Shared.FieldErrors.UserMessage(refusal) : e.Message;
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task ClearAsync()
    {
        _busy = true;
        try
        {
            await Control.ClearFaultsAsync();
            _faults = await Control.ListFaultsAsync();
            Snackbar.Add("Every fault is cleared.", Severity.Success);
        }
        finally
        {
            _busy = false;
        }
    }
}
