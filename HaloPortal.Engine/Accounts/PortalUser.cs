using Microsoft.AspNetCore.Identity;

namespace HaloPortal.Engine.Accounts;

/// <summary>A person who signs in to the portal: an administrator, agent or support member.</summary>
public sealed class PortalUser : IdentityUser
{
    public string DisplayName { get; set; } = "";

    /// <summary>A disabled account cannot sign in; its history stays.</summary>
    public bool IsDisabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Set for accounts that sign in with Microsoft (Entra ID object id); such accounts have no local password.</summary>
    public string? ExternalObjectId { get; set; }
}
