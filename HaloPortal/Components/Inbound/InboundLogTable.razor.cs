using System.Globalization;
using HaloPortal.Components.Shared;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace HaloPortal.Components.Inbound;

/// <summary>The inbound log (global, or one mailbox's when <see cref="MailboxId"/> is set): server paging, filters, CSV, bulk replay.</summary>
public sealed partial class InboundLogTable : IDisposable
{
    /// <summary>How long the log follows a bulk replay (reloading once a second) until the replayed emails leave Failed.</summary>
    internal static readonly TimeSpan ReplayFollowLimit = TimeSpan.FromSeconds(15);

    private readonly CancellationTokenSource _disposed = new();
    private MudTable<InboundEmailRow>? _table;
    private IReadOnlyList<MailboxSummary> _mailboxes = [];
    private IReadOnlyList<InboundEmailRow> _rows = [];
    private HashSet<InboundEmailRow> _selected = [];
    private InboundStatus? _status;
    private int? _mailbox;
    private DateRange? _range;
    private string? _sender;
    private string? _subject;
    private string? _rule;
    private bool _replaying;
    private int _replayDone;
    private int _replayTotal;

    [Inject]
    private IInboundLog Log { get; set; } = default!;

    [Inject]
    private IInboundReplays Replays { get; set; } = default!;

    [Inject]
    private IMailboxes Mailboxes { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthState { get; set; } = default!;

    /// <summary>Show one mailbox's log (the mailbox filter is hidden); null for every mailbox.</summary>
    [Parameter]
    public int? MailboxId { get; set; }

    /// <summary>Raised after a bulk replay was queued (the page refreshes its chart).</summary>
    [Parameter]
    public EventCallback Replayed { get; set; }

    /// <summary>Failed rows to replay: the selected ones when any are selected, else every failed row on this page.</summary>
    private IReadOnlyList<InboundEmailRow> ReplayCandidates =>
        (_selected.Count > 0 ? _selected : (IEnumerable<InboundEmailRow>)_rows).Where(r => r.Status == InboundStatus.Failed).ToList();

    private InboundQuery Query(int page = 1, int pageSize = 50) =>
        new(MailboxId ?? _mailbox, _status, RangeStart, RangeEnd, _sender, _subject, _rule, page, pageSize);

    private DateTimeOffset? RangeStart => _range?.Start is { } s ? new DateTimeOffset(s.Date, TimeSpan.Zero) : null;

    private DateTimeOffset? RangeEnd => _range?.End is { } e ? new DateTimeOffset(e.Date.AddDays(1).AddTicks(-1), TimeSpan.Zero) : null;

    private string ExportUrl
    {
        get
        {
            var q = Query();
            var parts = new List<string>();
            void Add(string name, string? value)
            {
                if (!string.IsNullOrWhiteSpace(value))
                {
                    parts.Add($"{name}={Uri.EscapeDataString(value)}");
                }
            }

            Add("mailboxId", q.MailboxId?.ToString(CultureInfo.InvariantCulture));
            Add("status", q.Status?.ToString());
            Add("from", q.From?.ToString("o", CultureInfo.InvariantCulture));
            Add("to", q.To?.ToString("o", CultureInfo.InvariantCulture));
            Add("sender", q.Sender);
            Add("subject", q.Subject);
            Add("rule", q.Rule);
            return "/inbound/export.csv" + (parts.Count > 0 ? "?" + string.Join('&', parts) : "");
        }
    }

    protected override async Task OnInitializedAsync()
    {
        if (MailboxId is null)
        {
            _mailboxes = await Mailboxes.ListAsync();
        }
    }

    private async Task<TableData<InboundEmailRow>> LoadAsync(TableState state, CancellationToken cancellationToken)
    {
        var page = await Log.QueryAsync(Query(state.Page + 1, state.PageSize), cancellationToken);
        _rows = page.Items;
        _selected = [];
        return new TableData<InboundEmailRow> { Items = page.Items, TotalItems = page.Total };
    }

    /// <summary>Reads the current page again.</summary>
    public Task ReloadAsync() => _table?.ReloadServerData() ?? Task.CompletedTask;

    private Task SetStatusAsync(InboundStatus? status)
    {
        _status = status;
        return ReloadAsync();
    }

    private Task SetMailboxAsync(int? mailbox)
    {
        _mailbox = mailbox;
        return ReloadAsync();
    }

    private Task SetRangeAsync(DateRange? range)
    {
        _range = range;
        return ReloadAsync();
    }

    private Task SetTextAsync(ref string? field, string? value)
    {
        field = string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        return ReloadAsync();
    }

    private void OnRowClick(TableRowClickEventArgs<InboundEmailRow> args)
    {
        if (args.Item is { } row)
        {
            Navigation.NavigateTo($"/inbound/{row.Id}");
        }
    }

    private async Task ReplayFailedAsync()
    {
        var rows = ReplayCandidates;
        var confirmed = await Dialogs.ShowMessageBoxAsync("Replay failed emails",
            $"Queue a new attempt for {Plural.Of(rows.Count, "failed email")}? Each replay is logged on the email's Requests tab; an email that already made a ticket never makes a second one.",
            yesText: "Replay", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var actor = await AuthState.ActorAsync();
        _replaying = true;
        _replayDone = 0;
        _replayTotal = rows.Count;
        var problems = new List<string>();
        var queued = new HashSet<long>();
        try
        {
            foreach (var row in rows)
            {
                var details = await Log.GetAsync(row.Id);
                var latest = details?.Requests.FirstOrDefault();
                if (latest is null)
                {
                    problems.Add($"#{row.Id}: no request to replay");
                }
                else
                {
                    try
                    {
                        await Replays.ReplayAsync(latest.Id, actor);
                        queued.Add(row.Id);
                    }
                    catch (Exception ex) when (ex is ArgumentException or ReplayRefusedException)
                    {
                        problems.Add($"#{row.Id}: {ex.Message}");
                    }
                }

                _replayDone++;
                StateHasChanged();
            }
        }
        finally
        {
            _replaying = false;
        }

        Snackbar.Add($"{Plural.Of(rows.Count - problems.Count, "replay")} queued; open an email to follow its new request.", Severity.Success);
        foreach (var problem in problems)
        {
            Snackbar.Add(problem, Severity.Warning);
        }

        await ReloadAsync();
        await Replayed.InvokeAsync();
        _ = FollowReplaysAsync(queued);
    }

    /// <summary>"1 attempt", "3 attempts"; an email found but not tried yet says so.</summary>
    internal static string AttemptsText(int attempts) => attempts == 0 ? "Not tried yet" : Plural.Of(attempts, "attempt");

    /// <summary>
    /// The replays run in the background: the log reloads once a second until none of the replayed emails on this page is still
    /// Failed (each has started again), for at most <see cref="ReplayFollowLimit"/>, so the rows do not stay red after a replay.
    /// </summary>
    private async Task FollowReplaysAsync(IReadOnlySet<long> emailIds)
    {
        if (emailIds.Count == 0)
        {
            return;
        }

        var stop = _disposed.Token;
        var started = Time.GetUtcNow();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), Time);
        try
        {
            while (Time.GetUtcNow() - started < ReplayFollowLimit && await timer.WaitForNextTickAsync(stop))
            {
                await InvokeAsync(ReloadAsync);
                if (!_rows.Any(r => emailIds.Contains(r.Id) && r.Status == InboundStatus.Failed))
                {
                    await InvokeAsync(Replayed.InvokeAsync);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }
}
