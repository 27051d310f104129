using HaloPortal.Components.Shared;
using HaloPortal.Engine.Ingestion;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace HaloPortal.Components.Pages.Configuration.Email.Incoming;

/// <summary>
/// Runs imports in the circuit (for live progress) as recorded runs. The report on screen is the run named by <c>?import={runId}</c>
/// (set when an import ends or a history row is opened), else the latest run, so a reload shows it again.
/// </summary>
public sealed partial class ImportEmailsPanel
{
    private bool _running;
    private ScanProgress? _progress;
    private ImportRunView? _shown;
    private long? _missingRunId;
    private IReadOnlyList<ImportRunView> _history = [];
    private int _days = 30;
    private int _cap = 500;

    [Parameter, EditorRequired]
    public int MailboxId { get; set; }

    [Inject]
    private IImportRuns Runs { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [Inject]
    private IOptions<IngestionOptions> Options { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthState { get; set; } = default!;

    private int MaxCap => Options.Value.MaxBacklog;

    protected override void OnInitialized()
    {
        _cap = Math.Min(500, MaxCap);
        Runs.Changed += OnChanged;
    }

    protected override async Task OnParametersSetAsync()
    {
        _history = await Runs.ListAsync(MailboxId);
        var requested = RequestedRunId();
        _shown = requested is { } id ? await Runs.GetAsync(MailboxId, id) : _history.FirstOrDefault();
        _missingRunId = requested is { } asked && _shown is null ? asked : null;
    }

    private long? RequestedRunId() =>
        QueryHelpers.ParseQuery(Navigation.ToAbsoluteUri(Navigation.Uri).Query).TryGetValue("import", out var value) && long.TryParse(value, out var id) ? id : null;

    private Task ImportBacklogAsync() => RunAsync(new BacklogImport(Time.GetUtcNow().AddDays(-_days), _cap));

    private async Task RunAsync(BacklogImport? backlog)
    {
        _running = true;
        _progress = null;
        try
        {
            var (run, _) = await Runs.ImportAsync(MailboxId, ImportRunTrigger.Screen, await AuthState.ActorAsync(), backlog, new UiProgress(this));
            Show(run);
        }
        finally
        {
            _running = false;
        }
    }

    private void OpenRun(ImportRunView run) => Show(run);

    /// <summary>Shows a run's report and names it in the address (replacing the history entry), so a reload or a shared link opens it again.</summary>
    private void Show(ImportRunView run)
    {
        _shown = run;
        _missingRunId = null;
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("import", run.Id), replace: true);
    }

    private void OnChanged(int mailboxId)
    {
        if (mailboxId != MailboxId)
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            _history = await Runs.ListAsync(MailboxId);
            if (_shown is { Running: true } shown)
            {
                _shown = await Runs.GetAsync(MailboxId, shown.Id) ?? shown;
            }

            StateHasChanged();
        });
    }

    public void Dispose() => Runs.Changed -= OnChanged;

    // Reports arrive from the scan's thread; re-render on the component's dispatcher.
    private sealed class UiProgress(ImportEmailsPanel panel) : IProgress<ScanProgress>
    {
        public void Report(ScanProgress value) => _ = panel.InvokeAsync(() =>
        {
            panel._progress = value;
            panel.StateHasChanged();
        });
    }
}
