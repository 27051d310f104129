using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;

namespace HaloPortal.Hosting;

/// <summary>Sign-in for people (local accounts, optionally Microsoft) and API keys for scripts; roles as policies.</summary>
public static class AuthenticationExtensions
{
    /// <summary>Chooses the API key scheme when the header is present, else the sign-in cookie.</summary>
    public const string PortalScheme = "Portal";

    /// <summary>"Sign in with Microsoft" (OpenID Connect through Microsoft.Identity.Web); registered only when an AzureAd section is configured.</summary>
    public const string MicrosoftScheme = "Microsoft";

    public static WebApplicationBuilder AddPortalAuthentication(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var authentication = services.AddAuthentication(options =>
            {
                options.DefaultScheme = PortalScheme;
                options.DefaultChallengeScheme = PortalScheme;
            })
            .AddPolicyScheme(PortalScheme, "Cookie or API key", options =>
            {
                options.ForwardDefaultSelector = context =>
                    context.Request.Headers.ContainsKey(PortalPolicies.ApiKeyHeader) || IsApiPath(context.Request.Path)
                        ? PortalPolicies.ApiKeyScheme
                        : IdentityConstants.ApplicationScheme;
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(PortalPolicies.ApiKeyScheme, null);
        authentication.AddIdentityCookies();
        authentication.AddMicrosoftSignIn(builder.Configuration);

        services.ConfigureApplicationCookie(options =>
        {
            options.LoginPath = "/account/login";
            options.LogoutPath = "/account/logout";
            options.AccessDeniedPath = "/account/access-denied";
            options.Cookie.Name = "HaloPortal.Auth";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.Cookie.SecurePolicy = CookieSecurity(builder.Environment);
            options.ExpireTimeSpan = TimeSpan.FromHours(12);
            options.SlidingExpiration = true;
        });

        services.ConfigureExternalCookie(options => options.Cookie.SecurePolicy = CookieSecurity(builder.Environment));

        // The antiforgery cookie follows the same rule, so a form token never travels over plain http outside development.
        services.AddAntiforgery(options => options.Cookie.SecurePolicy = CookieSecurity(builder.Environment));

        // Re-check disabled accounts and changed roles quickly.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));

        // Users, roles and password rules are the engine's (AddHaloEngine); the web host adds cookie sign-in.
        new IdentityBuilder(typeof(PortalUser), typeof(IdentityRole), services).AddSignInManager<PortalSignInManager>();
        // Open Blazor circuits re-check the account every minute too (disabled, demoted, password reset).
        services.AddScoped<AuthenticationStateProvider, PortalAuthenticationStateProvider>();

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPortalPolicies();

        services.AddScoped<ICurrentActor, HttpCurrentActor>();
        return builder;
    }

    public static WebApplication MapPortalAuthentication(this WebApplication app)
    {
        var account = app.MapGroup("/account");
        account.MapPost("/logout", async (SignInManager<PortalUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("/account/login");
        }).AllowAnonymous();
        account.MapMicrosoftSignIn(app.Configuration);
        return app;
    }

    /// <summary>
    /// Cookies are Secure everywhere except on a developer's machine and in the test hosts (plain http on loopback): behind a TLS proxy
    /// the portal may see http, yet the browser must never send the cookie over http.
    /// </summary>
    internal static CookieSecurePolicy CookieSecurity(IHostEnvironment environment) =>
        environment.IsDevelopment() || environment.IsEnvironment("Testing") ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;

    /// <summary>The role policies pages, endpoints and component tests share.</summary>
    public static AuthorizationBuilder AddPortalPolicies(this AuthorizationBuilder authorization) => authorization
        .AddPolicy(PortalPolicies.Administrator, p => p.RequireRole(PortalRoles.Administrator))
        .AddPolicy(PortalPolicies.Agent, p => p.RequireRole(PortalRoles.Agent, PortalRoles.Administrator))
        .AddPolicy(PortalPolicies.Support, p => p.RequireRole(PortalRoles.Support, PortalRoles.Administrator));

    internal static bool IsApiPath(PathString path) =>
        path.StartsWithSegments("/api/v1") || path.StartsWithSegments("/sandbox/api");
}

/// <summary>The person or key behind the current request or circuit, for audit records.</summary>
public interface ICurrentActor
{
    Actor Get();
}

internal sealed class HttpCurrentActor(IHttpContextAccessor accessor) : ICurrentActor
{
    public Actor Get()
    {
        var user = accessor.HttpContext?.User;
        if (user?.Identity?.IsAuthenticated != true)
        {
            return Actor.System;
        }

        var name = user.Identity.Name ?? "unknown";
        return user.HasClaim(c => c.Type == ApiKeyAuthenticationHandler.ApiKeyNameClaim) ? Actor.ApiKey(name) : Actor.User(name);
    }
}
