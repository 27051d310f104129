using HaloPortal.Engine.Ingestion;
using MudBlazor;

namespace HaloPortal.Components.Inbound;

/// <summary>Colours, icons and words for the inbound log's statuses, outcomes and request kinds.</summary>
public static class InboundLabels
{
    public static Color Color(InboundStatus status) => status switch
    {
        InboundStatus.Processed => MudBlazor.Color.Success,
        InboundStatus.Ignored => MudBlazor.Color.Default,
        InboundStatus.Failed => MudBlazor.Color.Error,
        InboundStatus.Processing => MudBlazor.Color.Info,
        _ => MudBlazor.Color.Warning,
    };

    /// <summary>The statuses in the order the chart stacks them (bottom first) and lists them in its legend.</summary>
    public static readonly IReadOnlyList<InboundStatus> ChartOrder =
        [InboundStatus.Processed, InboundStatus.Ignored, InboundStatus.Failed, InboundStatus.Pending, InboundStatus.Processing];

    /// <summary>Chart colours in <see cref="ChartOrder"/>: the theme's colours of the status chips (Ignored a mid grey, visible on white and dark).</summary>
    public static readonly string[] ChartPalette = ChartOrder.Select(ChartColour).ToArray();

    private static string ChartColour(InboundStatus status)
    {
        var palette = Layout.PortalTheme.Theme.PaletteLight;
        var colour = Color(status) switch
        {
            MudBlazor.Color.Success => palette.Success,
            MudBlazor.Color.Error => palette.Error,
            MudBlazor.Color.Info => palette.Info,
            MudBlazor.Color.Warning => palette.Warning,
            _ => palette.GrayDefault,
        };
        return colour.ToString(MudBlazor.Utilities.MudColorOutputFormats.Hex);
    }

    public static Color Color(RequestOutcome outcome) => outcome switch
    {
        RequestOutcome.Succeeded => MudBlazor.Color.Success,
        RequestOutcome.Ignored => MudBlazor.Color.Default,
        RequestOutcome.Failed or RequestOutcome.Rejected => MudBlazor.Color.Error,
        _ => MudBlazor.Color.Warning,
    };

    public static string Kind(RequestKind kind) => kind switch
    {
        RequestKind.ManualImport => "Manual import",
        RequestKind.Scan => "Mailbox scan",
        RequestKind.Webhook => "Webhook",
        RequestKind.Replay => "Replay",
        RequestKind.Lifecycle => "Lifecycle notification",
        _ => kind.ToString(),
    };

    public static (string Icon, Color Color) Level(string level) => level.ToLowerInvariant() switch
    {
        "error" => (Icons.Material.Filled.Error, MudBlazor.Color.Error),
        "warning" or "warn" => (Icons.Material.Filled.Warning, MudBlazor.Color.Warning),
        "debug" => (Icons.Material.Filled.BugReport, MudBlazor.Color.Default),
        _ => (Icons.Material.Filled.Info, MudBlazor.Color.Info),
    };

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KB",
        _ => $"{bytes / (1024.0 * 1024):0.#} MB",
    };

    public static string Time(DateTimeOffset? at) => at is { } t ? t.ToString("yyyy-MM-dd HH:mm:ss 'UTC'") : "—";
}
