using System.Security.Claims;
using HaloPortal.Components.Pages.Account;
using HaloPortal.Engine.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Identity.Web;

namespace HaloPortal.Hosting;

/// <summary>
/// "Sign in with Microsoft": OpenID Connect through Microsoft.Identity.Web into the external cookie, then a portal
/// account found by the Entra object id (or created), with roles from the app-role claims. Only the configured tenant (a GUID) signs in.
/// Enabled when the <c>AzureAd</c> section has a ClientId (and TenantId; a client secret or certificate for the code flow).
/// </summary>
internal static class MicrosoftSignIn
{
    public const string ConfigurationSection = "AzureAd";
    public const string CompletePath = "/account/microsoft/complete";
    private const string DefaultInstance = "https://login.microsoftonline.com/";

    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration.GetSection(ConfigurationSection)["ClientId"]);

    public static AuthenticationBuilder AddMicrosoftSignIn(this AuthenticationBuilder auth, IConfiguration configuration)
    {
        if (!IsConfigured(configuration))
        {
            return auth;
        }

        var section = configuration.GetSection(ConfigurationSection);
        var tenantId = RequireTenantId(section);

        auth.AddMicrosoftIdentityWebApp(section, openIdConnectScheme: AuthenticationExtensions.MicrosoftScheme, cookieScheme: null, displayName: "Microsoft");
        auth.Services.PostConfigure<MicrosoftIdentityOptions>(AuthenticationExtensions.MicrosoftScheme, options =>
        {
            if (string.IsNullOrWhiteSpace(options.Instance) && string.IsNullOrWhiteSpace(options.Authority))
            {
                options.Instance = DefaultInstance;
            }
        });
        auth.Services.Configure<OpenIdConnectOptions>(AuthenticationExtensions.MicrosoftScheme, options =>
        {
            // The OIDC result lands in Identity's external cookie; /account/microsoft/complete turns it into a portal sign-in.
            options.SignInScheme = IdentityConstants.ExternalScheme;
            // Entra ID signs tokens for every tenant with the same keys: only this tenant's people may sign in.
            var validated = options.Events.OnTokenValidated;
            options.Events.OnTokenValidated = async context =>
            {
                if (!MicrosoftClaims.IsFromTenant(context.Principal, tenantId))
                {
                    context.Fail($"The ID token was issued for tenant '{MicrosoftClaims.TenantOf(context.Principal)}', not for AzureAd:TenantId.");
                    return;
                }

                await validated(context);
            };
            options.Events.OnRemoteFailure = context =>
            {
                context.Response.Redirect(SignInErrors.LoginUrl(SignInErrors.MicrosoftFailed));
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });
        return auth;
    }

    /// <summary>
    /// AzureAd:TenantId must be the directory (tenant) ID, a GUID: <c>common</c>, <c>organizations</c>, <c>consumers</c> or a domain
    /// would let people of other tenants (or personal accounts) reach the sign-in.
    /// </summary>
    internal static Guid RequireTenantId(IConfiguration section)
    {
        var value = section["TenantId"]?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidOperationException(
                "AzureAd:ClientId is set but AzureAd:TenantId is missing. Set it to the directory (tenant) ID of the app registration, or remove AzureAd:ClientId to turn Sign in with Microsoft off.");
        }

        if (!Guid.TryParse(value, out var tenantId) || tenantId == Guid.Empty)
        {
            var why = value.ToLowerInvariant() is "common" or "organizations" or "consumers"
                ? $"'{value}' lets accounts from any tenant sign in, and multi-tenant sign-in is not supported."
                : $"'{value}' is not a directory (tenant) ID.";
            throw new InvalidOperationException(
                $"AzureAd:TenantId must be the GUID of your Microsoft Entra tenant (Entra admin center › Overview › Tenant ID): {why}");
        }

        if (section["Authority"] is { Length: > 0 } authority && !authority.Contains(tenantId.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"AzureAd:Authority ('{authority}') must name the tenant of AzureAd:TenantId ({tenantId}); remove it to use the default.");
        }

        return tenantId;
    }

    public static void MapMicrosoftSignIn(this RouteGroupBuilder account, IConfiguration configuration)
    {
        if (!IsConfigured(configuration))
        {
            return;
        }

        var tenantId = RequireTenantId(configuration.GetSection(ConfigurationSection));

        // A form post with the antiforgery token, never a GET link. Validated here rather than by the framework, so that an expired
        // form returns to the login page with a message instead of a bare 400.
        account.MapPost("/microsoft", async (HttpContext context, IAntiforgery antiforgery) =>
            {
                try
                {
                    await antiforgery.ValidateRequestAsync(context);
                }
                catch (AntiforgeryValidationException)
                {
                    return Results.Redirect(SignInErrors.LoginUrl(SignInErrors.FormExpired));
                }

                var returnUrl = context.Request.HasFormContentType ? (await context.Request.ReadFormAsync()).TryGetValue("returnUrl", out var value) ? value.ToString() : null : null;
                var complete = $"{CompletePath}?returnUrl={Uri.EscapeDataString(Login.SafeReturnUrl(returnUrl))}";
                return Results.Challenge(new AuthenticationProperties { RedirectUri = complete }, [AuthenticationExtensions.MicrosoftScheme]);
            })
            .AllowAnonymous()
            .DisableAntiforgery()
            .ExcludeFromDescription();

        account.MapGet("/microsoft/complete", async (HttpContext context, string? returnUrl, IExternalAccounts accounts, SignInManager<PortalUser> signIn, ILogger<ExternalAccount> logger) =>
            {
                var external = await context.AuthenticateAsync(IdentityConstants.ExternalScheme);
                await context.SignOutAsync(IdentityConstants.ExternalScheme);
                if (!external.Succeeded || external.Principal is null)
                {
                    return Results.Redirect(SignInErrors.LoginUrl(SignInErrors.MicrosoftFailed));
                }

                if (!MicrosoftClaims.IsFromTenant(external.Principal, tenantId))
                {
                    logger.LogWarning("Refused a Microsoft sign-in from tenant {Tenant}: only AzureAd:TenantId may sign in", MicrosoftClaims.TenantOf(external.Principal));
                    return Results.Redirect(SignInErrors.LoginUrl(SignInErrors.MicrosoftWrongTenant));
                }

                var account = MicrosoftClaims.ToExternalAccount(external.Principal);
                var result = await accounts.ResolveAsync(account, context.RequestAborted);
                if (!result.Succeeded)
                {
                    logger.LogWarning("Refused a Microsoft sign-in for {Email}: {Failure}", account.Email, result.Failure);
                    return Results.Redirect(SignInErrors.LoginUrl(SignInErrors.For(result.Failure!.Value)));
                }

                var user = await signIn.UserManager.FindByIdAsync(result.UserId!);
                await signIn.SignInAsync(user!, isPersistent: false, authenticationMethod: AuthenticationExtensions.MicrosoftScheme);
                logger.LogInformation("{User} signed in with Microsoft", user!.UserName);
                return Results.LocalRedirect(Login.SafeReturnUrl(returnUrl));
            })
            .AllowAnonymous()
            .ExcludeFromDescription();
    }
}

/// <summary>Reads the claims Microsoft Entra ID puts in an ID token, whether or not inbound claim mapping renamed them.</summary>
internal static class MicrosoftClaims
{
    private const string ObjectIdUri = "http://schemas.microsoft.com/identity/claims/objectidentifier";

    public static ExternalAccount ToExternalAccount(ClaimsPrincipal principal)
    {
        var objectId = First(principal, "oid", ObjectIdUri);
        var email = First(principal, "email", ClaimTypes.Email, "preferred_username", "upn", ClaimTypes.Upn);
        var name = First(principal, "name", ClaimTypes.Name, ClaimTypes.GivenName);
        var roles = principal.Claims.Where(c => c.Type is "roles" or "role" or ClaimTypes.Role).Select(c => c.Value).ToList();
        return new ExternalAccount(objectId, email, name, roles);
    }

    private const string TenantIdUri = "http://schemas.microsoft.com/identity/claims/tenantid";

    /// <summary>The token's <c>tid</c> claim, whether or not inbound claim mapping renamed it.</summary>
    public static string? TenantOf(ClaimsPrincipal? principal) => principal is null ? null : First(principal, "tid", TenantIdUri);

    /// <summary>True only when the token's <c>tid</c> is <paramref name="tenantId"/> (a missing tid is refused).</summary>
    public static bool IsFromTenant(ClaimsPrincipal? principal, Guid tenantId) =>
        Guid.TryParse(TenantOf(principal), out var tid) && tid == tenantId;

    private static string? First(ClaimsPrincipal principal, params string[] types) =>
        types.Select(t => principal.FindFirst(t)?.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}

/// <summary>The reasons a sign-in was refused, as codes in the login page's query string and the messages shown for them.</summary>
public static class SignInErrors
{
    public const string MicrosoftFailed = "microsoft-failed";
    public const string MicrosoftNoRole = "microsoft-no-role";
    public const string MicrosoftDisabled = "microsoft-disabled";
    public const string MicrosoftMissingIdentity = "microsoft-no-identity";
    public const string MicrosoftLinkedElsewhere = "microsoft-linked-elsewhere";
    public const string MicrosoftInvalidAccount = "microsoft-invalid-account";
    public const string MicrosoftLocalAccount = "microsoft-local-account";
    public const string MicrosoftWrongTenant = "microsoft-wrong-tenant";
    public const string FormExpired = "form-expired";

    public static string LoginUrl(string code) => $"/account/login?error={code}";

    public static string For(ExternalSignInFailure failure) => failure switch
    {
        ExternalSignInFailure.NoRole => MicrosoftNoRole,
        ExternalSignInFailure.Disabled => MicrosoftDisabled,
        ExternalSignInFailure.MissingIdentity => MicrosoftMissingIdentity,
        ExternalSignInFailure.LinkedToAnotherAccount => MicrosoftLinkedElsewhere,
        ExternalSignInFailure.LocalAccountNotLinked => MicrosoftLocalAccount,
        _ => MicrosoftInvalidAccount,
    };

    /// <summary>The message for a code; null for an unknown code (only known messages are ever shown).</summary>
    public static string? Message(string? code) => code switch
    {
        MicrosoftFailed => "Signing in with Microsoft did not complete. Try again, or sign in with your email and password.",
        MicrosoftNoRole => "Your Microsoft account has no HaloPortal role. Ask an administrator to assign you the Administrator, Agent or Support app role "
            + "in Microsoft Entra ID (Enterprise applications › HaloPortal › Users and groups), then sign in again.",
        MicrosoftDisabled => "Your HaloPortal account is disabled. Ask an administrator to enable it on Configuration › Teams & Agents › Agents.",
        MicrosoftMissingIdentity => "Microsoft did not send your object ID and email address. Ask an administrator to add the 'email' optional claim "
            + "to the app registration's ID token, then sign in again.",
        MicrosoftLinkedElsewhere => "Your email address belongs to a HaloPortal account that is linked to a different Microsoft account. "
            + "Ask an administrator to check that agent.",
        MicrosoftInvalidAccount => "Your email address cannot be used as a HaloPortal sign-in name. Ask an administrator to create your account.",
        MicrosoftLocalAccount => "A HaloPortal account with your email address already exists and signs in with its password. Sign in with your email "
            + "and password: an account is never linked to Microsoft by its address alone.",
        MicrosoftWrongTenant => "Your Microsoft account belongs to another organisation. Only accounts of this portal's Microsoft Entra tenant can sign in.",
        FormExpired => "The sign-in page had expired. Try again.",
        _ => null,
    };
}
