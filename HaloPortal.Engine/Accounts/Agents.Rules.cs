using System.ComponentModel.DataAnnotations;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Accounts;

/// <summary>What an agent's fields must be, with messages that say what to do, and the order roles are shown in.</summary>
internal sealed partial class Agents
{
    internal static IReadOnlyList<string> Ordered(IEnumerable<string> roles) =>
        roles.Distinct(StringComparer.Ordinal).OrderBy(RoleOrder).ToList();

    internal static void ThrowIfFailed(IdentityResult result, string email)
    {
        if (result.Succeeded)
        {
            return;
        }

        var errors = result.Errors.ToList();
        if (errors.Any(e => e.Code is "DuplicateEmail" or "DuplicateUserName"))
        {
            throw DuplicateEmail(email);
        }

        var password = errors.Where(e => e.Code.StartsWith("Password", StringComparison.Ordinal)).Select(e => e.Description).ToList();
        if (password.Count > 0)
        {
            throw new ArgumentException("Choose a stronger password. " + string.Join(" ", password), "password");
        }

        if (errors.Any(e => e.Code is "InvalidEmail" or "InvalidUserName"))
        {
            throw new ArgumentException($"'{email}' cannot be used as a sign-in address. Enter a plain address like name@example.com.", "email");
        }

        throw new InvalidOperationException(string.Join(" ", errors.Select(e => e.Description)));
    }

    private static int RoleOrder(string role)
    {
        var index = PortalRoles.All.ToList().IndexOf(role);
        return index < 0 ? int.MaxValue : index;
    }

    private static ArgumentException DuplicateEmail(string email) =>
        new($"An agent with the email {email} already exists. Use another address, or edit that agent instead.", "email");

    private static string RequireDisplayName(string? displayName)
    {
        var trimmed = displayName?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw new ArgumentException("Enter the agent's name as colleagues should see it.", "displayName");
        }

        if (trimmed.Length > 100)
        {
            throw new ArgumentException("Shorten the name to 100 characters or fewer.", "displayName");
        }

        return trimmed;
    }

    private static string RequireEmail(string? email)
    {
        var trimmed = email?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw new ArgumentException("Enter the agent's email address; it is what they sign in with.", "email");
        }

        if (trimmed.Length > 256 || !new EmailAddressAttribute().IsValid(trimmed) || trimmed.StartsWith('@') || trimmed.EndsWith('@'))
        {
            throw new ArgumentException($"'{trimmed}' is not an email address. Enter an address like name@example.com.", "email");
        }

        return trimmed;
    }

    private static IReadOnlyList<string> RequireRoles(IReadOnlyCollection<string>? roles)
    {
        if (roles is null || roles.Count == 0)
        {
            throw new ArgumentException($"Choose at least one role: {string.Join(", ", PortalRoles.All)}.", "roles");
        }

        var unknown = roles.FirstOrDefault(r => !PortalRoles.IsKnown(r));
        if (unknown is not null)
        {
            throw new ArgumentException($"'{unknown}' is not a role. Choose from {string.Join(", ", PortalRoles.All)}.", "roles");
        }

        return Ordered(roles);
    }
}
