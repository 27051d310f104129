using HaloPortal.Components.Pages.Configuration.Email.Components;
using HaloPortal.Components.Shared;
using HaloPortal.Engine.Retention;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace HaloPortal.Components.Pages.Configuration.Advanced;

public partial class DataRetention
{
    private RetentionState? _state;
    private IReadOnlyDictionary<string, string> _errors = new Dictionary<string, string>();
    private int _rawMimeDays;
    private int _requestDataDays;
    private int _rejectedDays;
    private int _auditDays;
    private bool _saving;
    private bool _purging;
    private RetentionRun? _progress;

    [Inject]
    private IRetention Retention { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;


    [CascadingParameter]
    private Task<AuthenticationState> AuthState { get; set; } = default!;

    private RetentionPeriods Periods => new(_rawMimeDays, _requestDataDays, _rejectedDays, _auditDays);

    private bool Changed => _state is not null && Periods != _state.Periods;

    protected override async Task OnInitializedAsync() => Show(await Retention.GetAsync());

    private void Show(RetentionState state)
    {
        _state = state;
        (_rawMimeDays, _requestDataDays, _rejectedDays, _auditDays) = (state.Periods.RawMimeDays, state.Periods.RequestDataDays,
            state.Periods.RejectedNotificationDays, state.Periods.AuditDays);
    }

    private string? Error(string field) => _errors.GetValueOrDefault(field);

    private void UseDefaults()
    {
        var d = RetentionPeriods.Default;
        (_rawMimeDays, _requestDataDays, _rejectedDays, _auditDays) = (d.RawMimeDays, d.RequestDataDays, d.RejectedNotificationDays, d.AuditDays);
    }

    private async Task SaveAsync()
    {
        _errors = Periods.Errors();
        if (_errors.Count > 0)
        {
            Snackbar.Add("Not saved: correct the fields marked in red.", Severity.Error);
            return;
        }

        _saving = true;
        try
        {
            var shorter = Periods.RawMimeDays < _state!.Periods.RawMimeDays || Periods.RequestDataDays < _state.Periods.RequestDataDays
                || Periods.RejectedNotificationDays < _state.Periods.RejectedNotificationDays || Periods.AuditDays < _state.Periods.AuditDays;
            if (shorter && !await Dialogs.ConfirmAsync("Shorter retention", "Keep records for less time?", "Save",
                    "The next purge (daily, or Purge now) removes everything older than the new periods. Removed data cannot be brought back.", Color.Warning))
            {
                return;
            }

            Show(await Retention.SaveAsync(Periods, await AuthState.ActorAsync()));
            _errors = new Dictionary<string, string>();
            Snackbar.Add("Retention periods saved.", Severity.Success);
        }
        catch (RetentionValidationException ex)
        {
            _errors = ex.Errors;
            Snackbar.Add("Not saved: correct the fields marked in red.", Severity.Error);
        }
        finally
        {
            _saving = false;
        }
    }

    private async Task PurgeAsync()
    {
        _purging = true;
        _progress = null;
        try
        {
            var progress = new Progress<RetentionRun>(run => InvokeAsync(() =>
            {
                if (_purging) // a report posted before the end must not show up as the "last purge" afterwards
                {
                    _progress = run;
                    StateHasChanged();
                }
            }));
            var run = await Task.Run(async () => await Retention.PurgeAsync(await AuthState.ActorAsync(), progress));
            _state = await Retention.GetAsync(); // the record of the run; the periods being edited stay as they are
            Snackbar.Add(run.Total == 0 ? "Nothing was old enough to remove." : $"Removed {run.Total:N0} records.", Severity.Success);
        }
        catch (Exception ex)
        {
            // The engine logged it and raised the "retention" problem. The card goes back to the last completed purge rather than
            // showing the interrupted one's partial counts as if it had finished.
            _state = await Retention.GetAsync();
            Snackbar.Add($"The purge stopped with an error: {ex.Message} What it removed before that stays removed; run it again.", Severity.Error);
        }
        finally
        {
            _progress = null;
            _purging = false;
        }
    }
}
