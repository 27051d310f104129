using System.ComponentModel.DataAnnotations;

namespace HaloPortal.Engine.Portal;

/// <summary>Deployment-wide settings, bound from the <c>Portal</c> configuration section.</summary>
public sealed class PortalOptions
{
    public const string SectionName = "Portal";

    /// <summary>The instance this deployment is: it only processes mail through credentials of this instance.</summary>
    [Required]
    public PortalInstance Instance { get; set; } = PortalInstance.Production;

    /// <summary>Cloud (hosted) or OnPremises; federated credentials are offered on-premises only.</summary>
    [Required]
    public PortalHosting Hosting { get; set; } = PortalHosting.Cloud;

    /// <summary>
    /// The address Graph and browsers reach this portal at, e.g. https://helpdesk.example.com: the OAuth redirect URI and the webhook
    /// notification URLs are built from it, never from a request's Host. Required in the Production environment (see <see cref="PortalOptionsValidation"/>).
    /// </summary>
    [Url(ErrorMessage = "Portal:PublicBaseUrl must be an absolute http(s) URL, e.g. https://helpdesk.example.com.")]
    public string? PublicBaseUrl { get; set; }

    /// <summary>API keys given at start-up (full Administrator rights), e.g. <c>Portal__ApiKeys__0</c>; each at least <see cref="PortalOptionsValidation.MinimumApiKeyLength"/> characters.</summary>
    public List<string> ApiKeys { get; set; } = [];

    public BootstrapAdminOptions BootstrapAdmin { get; set; } = new();

    /// <summary>The reverse proxies whose X-Forwarded-For/Proto/Host headers are believed; none by default (the headers are ignored).</summary>
    public ForwardedHeadersSettings ForwardedHeaders { get; set; } = new();
}

/// <summary><c>Portal:ForwardedHeaders</c>: the TLS-terminating proxies in front of the portal.</summary>
public sealed class ForwardedHeadersSettings
{
    /// <summary>Proxy addresses, e.g. <c>10.0.0.5</c> (<c>Portal__ForwardedHeaders__KnownProxies__0</c>).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR notation, e.g. <c>10.0.0.0/24</c> (<c>Portal__ForwardedHeaders__KnownNetworks__0</c>).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public bool Any => KnownProxies.Count > 0 || KnownNetworks.Count > 0;
}

public sealed class BootstrapAdminOptions
{
    [EmailAddress(ErrorMessage = "Portal:BootstrapAdmin:Email must be an email address.")]
    public string? Email { get; set; }

    public string? Password { get; set; }
}

public enum PortalInstance
{
    Production,
    UAT,
    Dev,
}

public enum PortalHosting
{
    Cloud,
    OnPremises,
}
