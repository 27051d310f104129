namespace HaloPortal.Sandbox;

/// <summary>
/// The virtual https hosts through which the engine addresses the sandbox tenant. MSAL insists on an https AAD authority
/// (<c>https://{host}/{tenant}/</c>), so the sandbox is named like a cloud and <see cref="ISandboxConnector"/> routes those
/// hosts to the portal's own <c>/sandbox/login</c> and <c>/sandbox/graph</c> endpoints.
/// </summary>
public static class SandboxHosts
{
    /// <summary>The identity (Entra ID) host.</summary>
    public const string LoginHost = "login.sandbox.haloportal.invalid";

    /// <summary>The Microsoft Graph host.</summary>
    public const string GraphHost = "graph.sandbox.haloportal.invalid";

    /// <summary><c>https://login.sandbox.haloportal.invalid/</c>: the authority instance; append the tenant and a slash.</summary>
    public const string LoginBaseUrl = "https://" + LoginHost + "/";

    /// <summary>The Graph base URL to give <c>GraphServiceClient</c>.</summary>
    public const string GraphBaseUrl = "https://" + GraphHost + "/v1.0";

    /// <summary>The audience of the sandbox's Graph tokens (the real global Graph resource, as in Entra).</summary>
    public const string GraphResource = "https://graph.microsoft.com";

    /// <summary>The scope a client-credentials request asks for.</summary>
    public const string GraphDefaultScope = GraphResource + "/.default";

    /// <summary>The authority for a tenant (id or verified domain), e.g. <c>https://login.sandbox.haloportal.invalid/{tenant}/</c>.</summary>
    public static string Authority(string tenant) => LoginBaseUrl + tenant + "/";

    /// <summary>The issuer (<c>iss</c>) of tokens the sandbox signs for a tenant.</summary>
    public static string Issuer(Guid tenantId) => $"{LoginBaseUrl}{tenantId}/v2.0";

    /// <summary>The path prefix the portal serves the identity endpoints under.</summary>
    public const string LoginPathPrefix = "/sandbox/login";

    /// <summary>The path prefix the portal serves the Graph endpoints under.</summary>
    public const string GraphPathPrefix = "/sandbox/graph";

    /// <summary>The path prefix of the sandbox control API.</summary>
    public const string ControlPathPrefix = "/sandbox/api";

    /// <summary>Request header the connector adds so the sandbox writes links (nextLink, deltaLink) with the virtual host the caller used.</summary>
    public const string VirtualHostHeader = "X-Sandbox-Virtual-Host";
}
