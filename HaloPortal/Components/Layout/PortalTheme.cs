using MudBlazor;

namespace HaloPortal.Components.Layout;

/// <summary>The portal's colours, light and dark.</summary>
public static class PortalTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f5fbf",
            Secondary = "#00897b",
            AppbarBackground = "#163a70",
            Background = "#f5f7fb",
            DrawerBackground = "#ffffff",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#6ea8ff",
            Secondary = "#4db6ac",
            AppbarBackground = "#10213d",
        },
        LayoutProperties = new LayoutProperties { DrawerWidthLeft = "270px" },
    };
}
