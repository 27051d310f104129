using MudBlazor;

namespace HaloPortal.Components.Layout;

/// <summary>
/// The portal's colours, light and dark. Text and status colours are darker than MudBlazor's defaults so that secondary text,
/// captions, chips and white text on coloured chips reach WCAG AA contrast (4.5:1) on the page and card backgrounds; the
/// accessibility E2E test checks this with axe-core.
/// </summary>
public static class PortalTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f5fbf",
            AppbarBackground = "#163a70",
            Background = "#f5f7fb",
            DrawerBackground = "#ffffff",
            TextSecondary = "rgba(0,0,0,0.64)",
            Secondary = "#00796b",
            Success = "#2e7d32",
            Info = "#0b66c3",
            Warning = "#a84e00",
            Error = "#c62828",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#6ea8ff",
            Secondary = "#4db6ac",
            AppbarBackground = "#10213d",
            TextSecondary = "rgba(255,255,255,0.72)",
        },
        LayoutProperties = new LayoutProperties { DrawerWidthLeft = "270px" },
    };
}
