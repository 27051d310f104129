using HaloPortal.Components;
using HaloPortal.Engine;
using HaloPortal.Sandbox;
using MudBlazor.Services;

namespace HaloPortal.Hosting;

/// <summary>The portal's wiring, so Program.cs stays a few lines.</summary>
public static class PortalHostingExtensions
{
    public static WebApplicationBuilder AddPortal(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddHaloEngine(builder.Configuration, builder.Environment);
        services.AddSandbox(builder.Configuration, builder.Environment);

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddCascadingAuthenticationState();
        services.AddHttpContextAccessor();
        services.AddPortalForwardedHeaders();

        builder.AddPortalAuthentication();
        builder.AddPortalApi();
        builder.AddPortalJobs();
        builder.AddPortalRateLimits();
        builder.AddPortalTelemetry();
        services.AddPortalHealth();
        return builder;
    }

    public static WebApplication UsePortal(this WebApplication app)
    {
        app.UsePortalForwardedHeaders();
        // First, so that every answer carries the headers: error pages, status pages, static files and short-circuits too.
        app.UseSecurityHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
            app.UseHsts();
        }

        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        // The not-found page is for browsers; REST callers get the endpoint's own status (a re-executed PUT would turn 404 into 405).
        app.Use((context, next) =>
        {
            if (AuthenticationExtensions.IsApiPath(context.Request.Path) && context.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } pages)
            {
                pages.Enabled = false;
            }

            return next(context);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();

        app.MapStaticAssets().AllowAnonymous();
        app.MapPortalHealth();
        app.MapPortalMetrics();
        app.MapPortalAuthentication();
        app.MapPortalApi();
        app.MapGraphWebhooks();
        app.MapPortalJobs();
        app.MapAuthCallbacks();
        app.MapSandbox();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
