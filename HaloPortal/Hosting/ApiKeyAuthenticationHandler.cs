using System.Security.Claims;
using System.Text.Encodings.Web;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace HaloPortal.Hosting;

/// <summary>Authenticates REST callers by the <c>X-Api-Key</c> header.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IApiKeys keys,
    ClientFailures failures) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string ApiKeyNameClaim = "api_key";

    private const string BlockedItem = "HaloPortal.ApiKeyBlockedFor";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(PortalPolicies.ApiKeyHeader, out var values) || values.Count == 0)
        {
            return AuthenticateResult.NoResult();
        }

        // A client that sent too many unknown keys is refused without the key being checked (no guessing at speed).
        var client = Context.Connection.RemoteIpAddress;
        if (failures.RetryAfter(ClientFailure.ApiKey, client) is { } wait)
        {
            Context.Items[BlockedItem] = wait;
            return AuthenticateResult.Fail("Too many failed API key attempts from this client.");
        }

        var identity = await keys.ValidateAsync(values.ToString(), Context.RequestAborted);
        if (identity is null)
        {
            failures.Record(ClientFailure.ApiKey, client);
            Logger.LogWarning("Rejected an API call to {Path} from {Client}: the X-Api-Key is unknown or revoked", LogText.Clean(Request.Path), LogText.Clean(client));
            return AuthenticateResult.Fail("The X-Api-Key is unknown or revoked.");
        }

        var claims = new[]
        {
            new Claim(ClaimTypes.Name, identity.Name),
            new Claim(ClaimTypes.Role, identity.Role),
            new Claim(ApiKeyNameClaim, identity.Name),
        };
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[BlockedItem] is TimeSpan wait)
        {
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            await RateLimitExtensions.TooManyAttempts(Context, wait, "Too many requests from this client had an unknown or revoked X-Api-Key.").ExecuteAsync(Context);
            return;
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await Results.Problem(
            title: "Authentication required",
            detail: $"Send a valid API key in the {PortalPolicies.ApiKeyHeader} header.",
            statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Results.Problem(
            title: "Forbidden",
            detail: "This API key's role does not allow this call.",
            statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(Context);
    }
}
