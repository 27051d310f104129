using HaloPortal.Engine.Monitoring;
using Microsoft.AspNetCore.Components;

namespace HaloPortal.Components.Pages.Configuration.Email.Monitoring;

/// <summary>Runs the ledger in the circuit, with live progress; the report stays on screen until the next run.</summary>
public sealed partial class LedgerPanel
{
    private bool _running;
    private LedgerProgress? _progress;
    private LedgerReport? _report;

    [Parameter, EditorRequired]
    public int MailboxId { get; set; }

    [Inject]
    private IMailboxLedger Ledger { get; set; } = default!;

    private LedgerVerdict? _daily;

    protected override async Task OnParametersSetAsync() => _daily = await Ledger.LastVerdictAsync(MailboxId);

    private string DailyText() => _daily switch
    {
        // Nothing recorded means either no daily check has run yet or every one found the mailbox clean: the page cannot tell which.
        null => "Daily check (04:30 UTC): no unaccounted mail reported for this mailbox so far. A day whose folder could not be listed is skipped; the credential then shows why.",
        { Clean: true } d => $"Daily check: clean since {d.At.UtcDateTime:yyyy-MM-dd HH:mm} UTC (unaccounted mail found earlier is accounted for).",
        { } d => $"Daily check, last on {d.At.UtcDateTime:yyyy-MM-dd HH:mm} UTC: {d.Message}",
    };

    private int Recorded => _report?.Entries.Count(e => e.InboundEmailId is not null) ?? 0;

    private async Task RunAsync()
    {
        _running = true;
        _progress = null;
        var progress = new Progress<LedgerProgress>(p => InvokeAsync(() =>
        {
            _progress = p;
            StateHasChanged();
        }));
        try
        {
            _report = await Ledger.RunAsync(MailboxId, progress);
            _daily = await Ledger.LastVerdictAsync(MailboxId);
        }
        finally
        {
            _running = false;
        }
    }

    private string ScopeText() => _report switch
    {
        { ConnectedAt: { } connected, BeforeConnection: var before } =>
            $"Only mail received since the mailbox was connected ({connected.UtcDateTime:yyyy-MM-dd HH:mm} UTC) is imported, so older messages are not counted as unaccounted" +
            (before > 0 ? $" ({before} such in the folder; Import emails › backlog imports them on request)." : "."),
        _ => "",
    };
}
