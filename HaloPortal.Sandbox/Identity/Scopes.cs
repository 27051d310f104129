namespace HaloPortal.Sandbox.Identity;

/// <summary>A parsed <c>scope</c> parameter: one resource (a Graph cloud) with its permissions, plus the OpenID scopes.</summary>
internal sealed record ScopeRequest(string Resource, string RequestedPrefix, IReadOnlyList<string> Permissions, IReadOnlyList<string> OpenIdScopes)
{
    public static readonly string[] OpenIdNames = ["openid", "profile", "email", "offline_access"];

    /// <summary>Every cloud's Graph resource the sandbox issues tokens for (the token's <c>aud</c>).</summary>
    public static readonly string[] GraphResources =
    [
        "https://graph.microsoft.com",
        "https://graph.microsoft.us",
        "https://dod-graph.microsoft.us",
        "https://microsoftgraph.chinacloudapi.cn",
        "00000003-0000-0000-c000-000000000000",
    ];

    public bool IsDefault => Permissions.Count == 1 && Permissions[0] == ".default";

    public bool OfflineAccess => OpenIdScopes.Contains("offline_access");

    /// <summary>Parses a space-separated scope string. Scopes without a resource are Graph's, as in Entra.</summary>
    public static ScopeRequest Parse(string? scope, string tenantName)
    {
        if (string.IsNullOrWhiteSpace(scope))
        {
            throw AadException.MissingParameter("scope");
        }

        string? resource = null;
        string? prefix = null;
        var permissions = new List<string>();
        var openId = new List<string>();
        foreach (var item in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (OpenIdNames.Contains(item, StringComparer.OrdinalIgnoreCase))
            {
                openId.Add(item.ToLowerInvariant());
                continue;
            }

            var slash = item.LastIndexOf('/');
            var itemPrefix = slash > 0 ? item[..(slash + 1)] : "";
            var itemResource = slash > 0 ? item[..slash].TrimEnd('/') : GraphResources[0];
            var permission = slash > 0 ? item[(slash + 1)..] : item;
            var known = GraphResources.FirstOrDefault(r => string.Equals(r, itemResource, StringComparison.OrdinalIgnoreCase));
            if (known is null)
            {
                throw new AadException("invalid_resource", 500011,
                    $"The resource principal named {itemResource} was not found in the tenant named {tenantName}. This can happen if the application has not been " +
                    "installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.");
            }

            if (resource is not null && !string.Equals(resource, known, StringComparison.Ordinal))
            {
                throw new AadException("invalid_scope", 28000,
                    "Provided value for the input parameter scope is not valid because it contains more than one resource. " +
                    $"Scope {scope} is not valid.");
            }

            resource = known;
            prefix ??= itemPrefix;
            permissions.Add(permission);
        }

        if (permissions.Contains(".default") && permissions.Count > 1)
        {
            throw new AadException("invalid_scope", 70011,
                $"The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. " +
                $"The scope {scope} is not valid. static scope limit exceeded.");
        }

        return new ScopeRequest(resource ?? GraphResources[0], prefix ?? "", permissions, openId);
    }

    /// <summary>The permissions this request needs consent for, <c>.default</c> meaning the app's registered delegated permissions.</summary>
    public IReadOnlyList<string> Effective(IEnumerable<string> registeredDelegated) =>
        IsDefault ? registeredDelegated.Where(p => !OpenIdNames.Contains(p, StringComparer.OrdinalIgnoreCase)).ToList() : Permissions;

    /// <summary>The scope string returned to the client: the granted permissions in the form they were asked for, then the OpenID scopes.</summary>
    public string Describe(IEnumerable<string> granted) =>
        string.Join(' ', granted.Select(p => RequestedPrefix + p).Concat(OpenIdScopes));
}
