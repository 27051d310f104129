using Bunit;
using HaloPortal.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace HaloPortal.Tests.Infrastructure;

/// <summary>
/// The one bUnit set-up for portal components: loose JS interop, MudBlazor without transitions, a signed-in user whose roles
/// are checked by the portal's real policies, and the real engine on a migrated <see cref="TestDatabase"/>.
/// </summary>
public static class PortalTestContext
{
    /// <summary>Prepares <paramref name="context"/> for portal components and starts the engine; call before the first render.</summary>
    public static async Task UsePortalAsync(this BunitContext context, TestDatabase database, string userName, params string[] roles)
    {
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices(options =>
        {
            options.SnackbarConfiguration.ShowTransitionDuration = 0;
            options.SnackbarConfiguration.HideTransitionDuration = 0;
            options.PopoverOptions.CheckForPopoverProvider = false;
        });

        var authorization = context.AddAuthorization();
        authorization.SetAuthorized(userName);
        authorization.SetRoles(roles);
        // bUnit's stand-in grants policies by name; evaluate the portal's real role policies against the user's roles instead.
        context.Services.AddAuthorizationBuilder().AddPortalPolicies();
        context.Services.AddTransient<IAuthorizationService, DefaultAuthorizationService>();
        context.Services.AddSingleton<IAuthorizationPolicyProvider, DefaultAuthorizationPolicyProvider>();

        context.Services.AddTestEngine(database);
        await context.Services.StartEngineAsync();
    }
}
