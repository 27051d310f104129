using Microsoft.AspNetCore.Components;

namespace HaloPortal.Components.Shared;

/// <summary>
/// A page's selected tab in its address (<c>?tab=name</c>), so a reload or a shared link opens the same tab. The first name is
/// the page's default tab, which the address leaves out.
/// </summary>
public sealed class TabAddress(params string[] names)
{
    /// <summary>The tab a <c>?tab=</c> value names; the default (first) one when none or unknown.</summary>
    public int IndexOf(string? name) => name is null ? 0 : Math.Max(0, Array.FindIndex(names, n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Puts the chosen tab into the address, replacing the history entry (Back leaves the page, not the tab).</summary>
    public void Show(NavigationManager navigation, string? current, int index)
    {
        if (IndexOf(current) == index)
        {
            return;
        }

        navigation.NavigateTo(navigation.GetUriWithQueryParameter("tab", index <= 0 || index >= names.Length ? null : names[index]), replace: true);
    }
}
