using HaloPortal.Engine.Portal;

namespace HaloPortal.Engine.Accounts;

/// <summary>
/// Maps Microsoft Entra ID app-role claim values to portal roles. Accepts the role names themselves
/// (<c>Administrator</c>, <c>Agent</c>, <c>Support</c>) and the namespaced form (<c>HaloPortal.Administrator</c>),
/// case-insensitively; anything else is ignored.
/// </summary>
internal static class ExternalRoleMapper
{
    /// <summary>The prefix accepted in front of a role name in an app-role value.</summary>
    public const string Namespace = "HaloPortal.";

    /// <summary>The portal roles the claim values grant, in <see cref="PortalRoles.All"/> order, without duplicates.</summary>
    public static IReadOnlyList<string> Map(IEnumerable<string?> claimValues)
    {
        var granted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in claimValues)
        {
            var value = raw?.Trim();
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            if (value.StartsWith(Namespace, StringComparison.OrdinalIgnoreCase))
            {
                value = value[Namespace.Length..];
            }

            var role = PortalRoles.All.FirstOrDefault(r => string.Equals(r, value, StringComparison.OrdinalIgnoreCase));
            if (role is not null)
            {
                granted.Add(role);
            }
        }

        return PortalRoles.All.Where(granted.Contains).ToList();
    }
}
