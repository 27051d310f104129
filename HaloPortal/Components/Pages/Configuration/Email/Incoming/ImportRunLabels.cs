using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Portal;
using MudBlazor;

namespace HaloPortal.Components.Pages.Configuration.Email.Incoming;

/// <summary>The words and colours the Import emails screens use for a run.</summary>
public static class ImportRunLabels
{
    public static string Of(ImportRunStatus status) => status switch
    {
        ImportRunStatus.Running => "Running",
        ImportRunStatus.Finished => "Finished",
        ImportRunStatus.Failed => "Stopped",
        ImportRunStatus.Skipped => "Nothing read",
        ImportRunStatus.Interrupted => "Interrupted",
        _ => status.ToString(),
    };

    public static Color ColorOf(ImportRunStatus status) => status switch
    {
        ImportRunStatus.Running => Color.Info,
        ImportRunStatus.Finished => Color.Success,
        ImportRunStatus.Failed => Color.Error,
        _ => Color.Warning,
    };

    public static string IconOf(ImportRunStatus status) => status switch
    {
        ImportRunStatus.Running => Icons.Material.Filled.Sync,
        ImportRunStatus.Finished => Icons.Material.Filled.CheckCircle,
        ImportRunStatus.Failed => Icons.Material.Filled.Error,
        _ => Icons.Material.Filled.Info,
    };

    public static string Of(ImportRunTrigger trigger) => trigger switch
    {
        ImportRunTrigger.Screen => "Screen",
        ImportRunTrigger.Api => "API",
        _ => trigger.ToString(),
    };

    /// <summary>The report's heading: a run that hit an error says it stopped, never that it finished.</summary>
    public static string Outcome(ImportRunView run) => (run.Status, run.Error, run.Backlog) switch
    {
        (ImportRunStatus.Running, _, _) => "Import running…",
        (ImportRunStatus.Interrupted, _, _) => "Import interrupted: the portal stopped before it finished. The emails it had found are resumed at start-up; import again to read the rest.",
        (_, { } error, _) => $"Import stopped: {error.Title}. The counts are what was done before it stopped.",
        (_, null, not null) => "Backlog import finished: the mailbox was read",
        _ => "Import finished: the mailbox was read",
    };

    /// <summary>One line for the history: "3 emails, 2 tickets opened, 1 failed", after the error code of a run that stopped.</summary>
    public static string Summary(ImportRunView run)
    {
        if (run.Status == ImportRunStatus.Skipped)
        {
            return "Nothing was read";
        }

        var parts = new List<string> { Plural.Of(run.Fetched, "email") };
        if (run.Created > 0)
        {
            parts.Add($"{Plural.Of(run.Created, "ticket")} opened");
        }

        if (run.Updated > 0)
        {
            parts.Add($"{run.Updated:N0} updated");
        }

        if (run.Ignored > 0)
        {
            parts.Add($"{run.Ignored:N0} ignored");
        }

        if (run.Failed > 0)
        {
            parts.Add($"{run.Failed:N0} failed");
        }

        var counts = string.Join(", ", parts);
        return run.Error is { } error ? $"{error.Code} · {counts}" : counts;
    }
}
