namespace HaloPortal.Engine.Credentials;

/// <summary>The sign-in and Graph hosts of a cloud.</summary>
/// <param name="LoginHost">Entra ID host, e.g. login.microsoftonline.com.</param>
/// <param name="GraphHost">Microsoft Graph host, e.g. graph.microsoft.com.</param>
/// <param name="ScopeResource">The resource whose <c>.default</c> and named scopes are requested.</param>
public sealed record AuthorityEndpoints(GraphAuthority Authority, string DisplayName, string LoginHost, string GraphHost, string ScopeResource)
{
    public string AuthorityUrl(string tenantId) => $"https://{LoginHost}/{tenantId}/";

    public string GraphBaseUrl => $"https://{GraphHost}/v1.0";

    public string DefaultScope => $"{ScopeResource}/.default";

    public string Scope(string permission) => $"{ScopeResource}/{permission}";
}

/// <summary>Every authority a credential can use, with its real hosts. The sandbox differs only by its hosts.</summary>
public static class Authorities
{
    /// <summary>Virtual host of the sandbox's Entra ID imitation; the engine routes it to the portal's own /sandbox/login.</summary>
    public const string SandboxLoginHost = Sandbox.SandboxHosts.LoginHost;

    /// <summary>Virtual host of the sandbox's Graph imitation; routed to the portal's own /sandbox/graph.</summary>
    public const string SandboxGraphHost = Sandbox.SandboxHosts.GraphHost;

    public static readonly IReadOnlyList<AuthorityEndpoints> All =
    [
        new(GraphAuthority.Global, "Microsoft Graph Global Service", "login.microsoftonline.com", "graph.microsoft.com", "https://graph.microsoft.com"),
        new(GraphAuthority.UsGovL4, "US Government L4", "login.microsoftonline.us", "graph.microsoft.us", "https://graph.microsoft.us"),
        new(GraphAuthority.UsGovL5, "US Government L5 (DoD)", "login.microsoftonline.us", "dod-graph.microsoft.us", "https://dod-graph.microsoft.us"),
        new(GraphAuthority.China, "China (21Vianet)", "login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
        new(GraphAuthority.Sandbox, "Sandbox (built-in test tenant)", SandboxLoginHost, SandboxGraphHost, "https://graph.microsoft.com"),
    ];

    public static AuthorityEndpoints For(GraphAuthority authority) => All.Single(a => a.Authority == authority);
}
