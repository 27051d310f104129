using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;

namespace HaloPortal.Components.Shared;

/// <summary>The signed-in agent's id (the Identity user id), or null for API keys and anonymous users.</summary>
public static class UserIdExtensions
{
    public static async Task<string?> UserIdAsync(this Task<AuthenticationState> state) =>
        (await state).User.FindFirstValue(ClaimTypes.NameIdentifier);
}
