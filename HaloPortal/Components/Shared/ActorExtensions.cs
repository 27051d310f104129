using HaloPortal.Engine.Audit;
using Microsoft.AspNetCore.Components.Authorization;

namespace HaloPortal.Components.Shared;

/// <summary>Who is acting in an interactive component, for audit records.</summary>
public static class ActorExtensions
{
    public static async Task<Actor> ActorAsync(this Task<AuthenticationState> state)
    {
        var user = (await state).User;
        return user.Identity?.IsAuthenticated == true ? Actor.User(user.Identity.Name ?? "unknown") : Actor.System;
    }
}
