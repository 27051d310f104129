namespace HaloPortal.Engine.Portal;

/// <summary>The portal's roles. Administrators configure, agents work tickets, support staff read the inbound log and replay.</summary>
public static class PortalRoles
{
    public const string Administrator = "Administrator";
    public const string Agent = "Agent";
    public const string Support = "Support";

    public static readonly IReadOnlyList<string> All = [Administrator, Agent, Support];

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);
}

/// <summary>Authorisation policy names shared by pages, endpoints and the sandbox control API.</summary>
public static class PortalPolicies
{
    /// <summary>Configuration: administrators only.</summary>
    public const string Administrator = "Administrator";

    /// <summary>Tickets and own preferences: agents and administrators.</summary>
    public const string Agent = "Agent";

    /// <summary>Inbound log and replay: support staff and administrators.</summary>
    public const string Support = "Support";

    /// <summary>The authentication scheme of the REST API (<c>X-Api-Key</c>).</summary>
    public const string ApiKeyScheme = "ApiKey";

    public const string ApiKeyHeader = "X-Api-Key";
}
