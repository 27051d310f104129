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

    /// <summary>The address Graph and browsers reach this portal at, e.g. https://helpdesk.example.com.</summary>
    [Url(ErrorMessage = "Portal:PublicBaseUrl must be an absolute http(s) URL, e.g. https://helpdesk.example.com.")]
    public string? PublicBaseUrl { get; set; }

    /// <summary>API keys given at start-up (full Administrator rights), e.g. <c>Portal__ApiKeys__0</c>.</summary>
    public List<string> ApiKeys { get; set; } = [];

    public BootstrapAdminOptions BootstrapAdmin { get; set; } = new();
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
