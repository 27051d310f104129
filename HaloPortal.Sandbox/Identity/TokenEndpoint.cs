using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using HaloPortal.Sandbox.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace HaloPortal.Sandbox.Identity;

/// <summary><c>POST /{tenant}/oauth2/v2.0/token</c>: client credentials, authorization code (PKCE) and refresh token grants.</summary>
internal sealed class TokenEndpoint(
    IDbContextFactory<SandboxDbContext> contexts,
    ClientAuthenticator authenticator,
    TokenIssuer issuer,
    TimeProvider time,
    IOptions<SandboxOptions> options)
{
    public const string RefreshTokenPrefix = "1.SBX.";

    public async Task<IResult> HandleAsync(HttpContext http, string tenantName)
    {
        var ct = http.RequestAborted;
        try
        {
            if (!http.Request.HasFormContentType)
            {
                throw AadException.InvalidRequest(900144, "The request body must contain the following parameter: 'grant_type'.");
            }

            var form = await http.Request.ReadFormAsync(ct);
            await using var db = await contexts.CreateDbContextAsync(ct);
            var tenant = await db.FindTenantAsync(tenantName, ct) ?? throw AadException.TenantNotFound(tenantName);
            var grantType = Required(form, "grant_type");
            var clientIdText = Required(form, "client_id");
            if (!Guid.TryParse(clientIdText, out var clientId))
            {
                throw new AadException("unauthorized_client", 700038, $"{clientIdText} is not a valid application identifier.");
            }

            var app = await db.Applications.AsNoTracking().SingleOrDefaultAsync(a => a.TenantId == tenant.Id && a.AppId == clientId, ct)
                ?? throw AadException.AppNotFound(clientId, tenant.DisplayName);

            var response = grantType switch
            {
                "client_credentials" => await ClientCredentialsAsync(db, tenant, app, form, http.Request, ct),
                "authorization_code" => await AuthorizationCodeAsync(db, tenant, app, form, http.Request, ct),
                "refresh_token" => await RefreshTokenAsync(db, tenant, app, form, http.Request, ct),
                _ => throw new AadException("unsupported_grant_type", 70003, $"The app requested an unsupported grant type '{grantType}'."),
            };
            http.Response.Headers.CacheControl = "no-store, no-cache";
            return Results.Json(response);
        }
        catch (AadException ex)
        {
            http.Response.Headers.CacheControl = "no-store, no-cache";
            return Results.Json(ex.ToBody(time.GetUtcNow(), http.Request.Headers["client-request-id"].ToString()), statusCode: ex.Status);
        }
    }

    private async Task<Dictionary<string, object>> ClientCredentialsAsync(
        SandboxDbContext db, SbTenant tenant, SbApplication app, IFormCollection form, HttpRequest request, CancellationToken ct)
    {
        var proof = await authenticator.AuthenticateAsync(db, tenant, app, form, request, allowPublic: false, ct);
        var scope = ScopeRequest.Parse(Required(form, "scope"), tenant.DisplayName);
        if (!scope.IsDefault || scope.OpenIdScopes.Count > 0)
        {
            throw new AadException("invalid_scope", 1002012,
                $"The provided value for scope {form["scope"]} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).");
        }

        var token = await issuer.AppTokenAsync(tenant, app, scope.Resource, proof.AppIdAcr, ct);
        return new Dictionary<string, object>
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = issuer.Lifetime,
            ["ext_expires_in"] = issuer.Lifetime,
            ["access_token"] = token,
        };
    }

    private async Task<Dictionary<string, object>> AuthorizationCodeAsync(
        SandboxDbContext db, SbTenant tenant, SbApplication app, IFormCollection form, HttpRequest request, CancellationToken ct)
    {
        var proof = await authenticator.AuthenticateAsync(db, tenant, app, form, request, allowPublic: true, ct);
        var codeValue = Required(form, "code");
        var code = await db.AuthCodes.SingleOrDefaultAsync(c => c.Id == SandboxIds.Sha256(codeValue), ct);
        if (code is null || code.AppId != app.AppId || code.TenantId != tenant.Id)
        {
            throw AadException.InvalidGrant(70000, "The provided value for the 'code' parameter is not valid.");
        }

        var now = time.GetUtcNow();
        if (code.RedeemedAt is not null)
        {
            throw AadException.InvalidGrant(54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.");
        }

        if (code.ExpiresAt <= now)
        {
            throw AadException.InvalidGrant(70008,
                "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.");
        }

        var redirectUri = Required(form, "redirect_uri");
        if (!string.Equals(redirectUri, code.RedirectUri, StringComparison.Ordinal))
        {
            throw AadException.InvalidGrant(500112,
                $"The reply address '{redirectUri}' does not match the reply address '{code.RedirectUri}' provided when requesting Authorization code.");
        }

        var verifier = form["code_verifier"].ToString();
        if (code.CodeChallenge is not null)
        {
            if (string.IsNullOrEmpty(verifier))
            {
                throw AadException.InvalidRequest(9002325, "Proof Key for Code Exchange is required for cross-origin authorization code redemption.");
            }

            var computed = code.CodeChallengeMethod == "plain" ? verifier : Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
            if (!string.Equals(computed, code.CodeChallenge, StringComparison.Ordinal))
            {
                throw AadException.InvalidGrant(501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.");
            }
        }

        code.RedeemedAt = now;
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == code.UserId, ct);
        if (user.TokensValidFrom > code.IssuedAt)
        {
            throw Revoked(code.IssuedAt, user.TokensValidFrom);
        }

        var scope = ScopeRequest.Parse(form["scope"].Count > 0 ? form["scope"].ToString() : string.Join(' ', code.Scopes), tenant.DisplayName);
        var granted = await ConsentedAsync(db, app, user, ct);
        var wanted = scope.Effective(app.DelegatedPermissions);
        if (wanted.Any(p => !granted.Contains(p, StringComparer.OrdinalIgnoreCase)))
        {
            throw AadException.NoConsent(app.AppId, app.DisplayName);
        }

        var result = await UserTokensAsync(db, tenant, app, user, scope, wanted, proof, code.Nonce, request, ct);
        await db.SaveChangesAsync(ct);
        return result;
    }

    private async Task<Dictionary<string, object>> RefreshTokenAsync(
        SandboxDbContext db, SbTenant tenant, SbApplication app, IFormCollection form, HttpRequest request, CancellationToken ct)
    {
        var proof = await authenticator.AuthenticateAsync(db, tenant, app, form, request, allowPublic: true, ct);
        var value = Required(form, "refresh_token");
        var stored = value.StartsWith(RefreshTokenPrefix, StringComparison.Ordinal)
            ? await db.RefreshTokens.AsNoTracking().SingleOrDefaultAsync(r => r.Id == SandboxIds.Sha256(value), ct)
            : null;
        if (stored is null || stored.TenantId != tenant.Id)
        {
            throw AadException.InvalidGrant(9002313, "Invalid request. Request is malformed or invalid.");
        }

        if (stored.AppId != app.AppId)
        {
            throw AadException.InvalidGrant(70000, "Provided grant is invalid or malformed.");
        }

        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == stored.UserId, ct);
        if (stored.RevokedAt is not null || user.TokensValidFrom > stored.IssuedAt)
        {
            throw Revoked(stored.IssuedAt, stored.RevokedAt ?? user.TokensValidFrom);
        }

        var now = time.GetUtcNow();
        var inactive = TimeSpan.FromDays(options.Value.RefreshTokenInactiveDays);
        if (now - stored.IssuedAt > inactive)
        {
            throw AadException.InvalidGrant(700082,
                $"The refresh token has expired due to inactivity. The token was issued on {Iso(stored.IssuedAt)} and was inactive for {inactive.ToString("c", CultureInfo.InvariantCulture)}.");
        }

        var scopeText = form["scope"].Count > 0 ? form["scope"].ToString() : string.Join(' ', stored.Scopes.Append("offline_access"));
        var scope = ScopeRequest.Parse(scopeText, tenant.DisplayName);
        var granted = await ConsentedAsync(db, app, user, ct);
        var wanted = scope.Effective(app.DelegatedPermissions);
        if (wanted.Any(p => !granted.Contains(p, StringComparer.OrdinalIgnoreCase)))
        {
            throw AadException.NoConsent(app.AppId, app.DisplayName);
        }

        // Rotation: every redemption returns a new refresh token; the old one keeps its own (unextended) inactivity clock.
        var result = await UserTokensAsync(db, tenant, app, user, scope, wanted, proof, nonce: null, request, ct, forceRefreshToken: true);
        await db.SaveChangesAsync(ct);
        return result;
    }

    private async Task<Dictionary<string, object>> UserTokensAsync(
        SandboxDbContext db, SbTenant tenant, SbApplication app, SbUser user, ScopeRequest scope, IReadOnlyList<string> granted,
        ClientProof proof, string? nonce, HttpRequest request, CancellationToken ct, bool forceRefreshToken = false)
    {
        var form = request.Form;
        var response = new Dictionary<string, object>
        {
            ["token_type"] = "Bearer",
            ["scope"] = scope.Describe(granted),
            ["expires_in"] = issuer.Lifetime,
            ["ext_expires_in"] = issuer.Lifetime,
            ["access_token"] = await issuer.UserTokenAsync(tenant, app, user, scope.Resource, granted, proof.AppIdAcr, ct),
        };
        if (scope.OfflineAccess || forceRefreshToken)
        {
            var refreshToken = RefreshTokenPrefix + SandboxIds.Opaque(48);
            db.RefreshTokens.Add(new SbRefreshToken
            {
                Id = SandboxIds.Sha256(refreshToken),
                TenantId = tenant.Id,
                AppId = app.AppId,
                UserId = user.Id,
                Resource = scope.Resource,
                Scopes = granted.Select(p => scope.RequestedPrefix + p).ToList(),
                IssuedAt = time.GetUtcNow(),
            });
            response["refresh_token"] = refreshToken;
        }

        if (scope.OpenIdScopes.Contains("openid") || form["grant_type"] == "authorization_code")
        {
            response["id_token"] = await issuer.IdTokenAsync(tenant, app, user, nonce, ct);
        }

        if (form["client_info"] == "1")
        {
            response["client_info"] = TokenIssuer.ClientInfo(user);
        }

        return response;
    }

    /// <summary>The delegated permissions the user (or an administrator for everyone) has consented to for this app.</summary>
    internal static async Task<List<string>> ConsentedAsync(SandboxDbContext db, SbApplication app, SbUser user, CancellationToken ct)
    {
        var granted = new List<string>();
        if (app.AdminConsent)
        {
            granted.AddRange(app.DelegatedPermissions);
        }

        var grant = await db.Grants.AsNoTracking().SingleOrDefaultAsync(g => g.AppId == app.AppId && g.UserId == user.Id, ct);
        if (grant is not null)
        {
            granted.AddRange(grant.Scopes);
        }

        return granted.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private static AadException Revoked(DateTimeOffset issuedAt, DateTimeOffset validFrom) => AadException.InvalidGrant(50173,
        "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. " +
        $"The grant was issued on '{Iso(issuedAt)}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{Iso(validFrom)}'.");

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    private static string Required(IFormCollection form, string name)
    {
        var value = form[name].ToString();
        return string.IsNullOrEmpty(value) ? throw AadException.MissingParameter(name) : value;
    }
}
