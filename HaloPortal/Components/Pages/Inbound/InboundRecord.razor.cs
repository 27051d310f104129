using HaloPortal.Components.Shared;
using HaloPortal.Engine.Ingestion;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace HaloPortal.Components.Pages.Inbound;

/// <summary>One inbound email: its summary, and every processing attempt with its log and raw data (the Requests tab opens first); replay.</summary>
public sealed partial class InboundRecord
{
    /// <summary>How long the page follows a replay before it stops refreshing.</summary>
    internal static readonly TimeSpan ReplayFollowLimit = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _disposed = new();
    private InboundEmailDetails? _details;
    private bool _loading = true;
    private int _tab = 1;
    private bool _replaying;
    private long? _replayRequestId;
    private int _waited;
    private string? _replayMessage;
    private Severity _replaySeverity = Severity.Info;

    [Inject]
    private IInboundLog Log { get; set; } = default!;

    [Inject]
    private IInboundReplays Replays { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthState { get; set; } = default!;

    [Parameter]
    public long Id { get; set; }

    /// <summary><c>?tab=details</c> opens the Details tab; Requests is the default.</summary>
    private static readonly TabAddress Tabs = new("requests", "details");

    [SupplyParameterFromQuery(Name = "tab")]
    public string? Tab { get; set; }

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        // Requests is panel 1 on the page and the address's default; Details is panel 0.
        _tab = Tabs.IndexOf(Tab) == 1 ? 0 : 1;
        // Choosing a tab changes only the query: the email is loaded again only for another email.
        if (_details?.Email.Id == Id && !_loading)
        {
            return;
        }

        _loading = true;
        _details = await Log.GetAsync(Id);
        _loading = false;
    }

    private void TabChanged(int panel)
    {
        _tab = panel;
        Tabs.Show(Navigation, Tab, panel == 0 ? 1 : 0);
    }

    private async Task ReplayAsync(long requestId)
    {
        _replayMessage = null;
        try
        {
            _replayRequestId = await Replays.ReplayAsync(requestId, await AuthState.ActorAsync());
        }
        catch (Exception ex) when (ex is ArgumentException or KeyNotFoundException or ReplayRefusedException)
        {
            (_replayMessage, _replaySeverity) = (ex.Message, Severity.Warning);
            return;
        }

        _replaying = true;
        _waited = 0;
        _details = await Log.GetAsync(Id);
        StateHasChanged();
        _ = FollowReplayAsync(_replayRequestId.Value);
    }

    /// <summary>Reloads once a second until the replay request completes, for at most <see cref="ReplayFollowLimit"/>.</summary>
    private async Task FollowReplayAsync(long replayId)
    {
        var stop = _disposed.Token;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), Time);
        InboundRequestRow? replay = null;
        try
        {
            while (_waited < ReplayFollowLimit.TotalSeconds && await timer.WaitForNextTickAsync(stop))
            {
                _waited++;
                var details = await Log.GetAsync(Id, stop);
                replay = details?.Requests.FirstOrDefault(r => r.Id == replayId);
                await InvokeAsync(() =>
                {
                    _details = details;
                    StateHasChanged();
                });
                if (replay?.CompletedAt is not null)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await InvokeAsync(() =>
        {
            _replaying = false;
            (_replayMessage, _replaySeverity) = replay switch
            {
                { CompletedAt: not null, Outcome: RequestOutcome.Succeeded } => ($"Replay #{replayId} succeeded.", Severity.Success),
                { CompletedAt: not null, Outcome: RequestOutcome.Ignored } => ($"Replay #{replayId} completed: the email was ignored (see its log).", Severity.Info),
                { CompletedAt: not null } => ($"Replay #{replayId} ended {replay.Outcome}: read its log below.", Severity.Error),
                _ => ($"Replay #{replayId} has not completed after {ReplayFollowLimit.TotalSeconds:0} s; it keeps running in the background — reload the page later.", Severity.Warning),
            };
            StateHasChanged();
        });
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }
}
