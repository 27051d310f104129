using System.Security.Cryptography;
using System.Text;
using HaloPortal.Sandbox.Data;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HaloPortal.Sandbox.Identity;

/// <summary>Signs access and ID tokens with the tenant's key, carrying the claims Entra puts in Graph tokens.</summary>
internal sealed class TokenIssuer(TenantKeys keys, TimeProvider time, IOptions<SandboxOptions> options)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public int Lifetime => options.Value.AccessTokenLifetimeSeconds;

    /// <summary>An app-only token: <c>roles</c> holds the admin-consented application permissions.</summary>
    public async Task<string> AppTokenAsync(SbTenant tenant, SbApplication app, string audience, string appIdAcr, CancellationToken cancellationToken)
    {
        var claims = Common(tenant, app, audience);
        claims["appidacr"] = appIdAcr;
        claims["azpacr"] = appIdAcr;
        claims["idtyp"] = "app";
        claims["oid"] = ServicePrincipalId(app).ToString();
        claims["sub"] = ServicePrincipalId(app).ToString();
        if (app.AdminConsent && app.ApplicationPermissions.Count > 0)
        {
            claims["roles"] = app.ApplicationPermissions.ToArray();
        }

        return await SignAsync(tenant, claims, cancellationToken);
    }

    /// <summary>A delegated token: <c>scp</c> holds the consented scopes, with the user's identity.</summary>
    public async Task<string> UserTokenAsync(SbTenant tenant, SbApplication app, SbUser user, string audience, IEnumerable<string> scopes, string appIdAcr, CancellationToken cancellationToken)
    {
        var claims = Common(tenant, app, audience);
        claims["appidacr"] = appIdAcr;
        claims["azpacr"] = appIdAcr;
        claims["idtyp"] = "user";
        claims["oid"] = user.Id.ToString();
        claims["sub"] = PairwiseSubject(user.Id, app.AppId);
        claims["scp"] = string.Join(' ', scopes);
        claims["upn"] = user.UserPrincipalName;
        claims["unique_name"] = user.UserPrincipalName;
        claims["preferred_username"] = user.UserPrincipalName;
        claims["name"] = user.DisplayName;
        claims["amr"] = new[] { "pwd" };
        return await SignAsync(tenant, claims, cancellationToken);
    }

    /// <summary>The OpenID Connect ID token (audience: the client) MSAL reads the account from.</summary>
    public async Task<string> IdTokenAsync(SbTenant tenant, SbApplication app, SbUser user, string? nonce, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var claims = new Dictionary<string, object>
        {
            ["aud"] = app.AppId.ToString(),
            ["iss"] = SandboxHosts.Issuer(tenant.Id),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddHours(1).ToUnixTimeSeconds(),
            ["name"] = user.DisplayName,
            ["oid"] = user.Id.ToString(),
            ["preferred_username"] = user.UserPrincipalName,
            ["email"] = user.UserPrincipalName,
            ["sub"] = PairwiseSubject(user.Id, app.AppId),
            ["tid"] = tenant.Id.ToString(),
            ["uti"] = SandboxIds.Opaque(16),
            ["ver"] = "2.0",
        };
        if (!string.IsNullOrEmpty(nonce))
        {
            claims["nonce"] = nonce;
        }

        return await SignAsync(tenant, claims, cancellationToken);
    }

    /// <summary>MSAL's <c>client_info</c>: base64url JSON with the home account's object and tenant ids.</summary>
    public static string ClientInfo(SbUser user) =>
        Base64UrlEncoder.Encode($"{{\"uid\":\"{user.Id}\",\"utid\":\"{user.TenantId}\"}}");

    /// <summary>The service principal's object id: stable per app, distinct from the app id.</summary>
    public static Guid ServicePrincipalId(SbApplication app) => new(MD5.HashData(Encoding.UTF8.GetBytes("sp:" + app.AppId)));

    private Dictionary<string, object> Common(SbTenant tenant, SbApplication app, string audience)
    {
        var now = time.GetUtcNow();
        return new Dictionary<string, object>
        {
            ["aud"] = audience,
            ["iss"] = SandboxHosts.Issuer(tenant.Id),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddSeconds(Lifetime).ToUnixTimeSeconds(),
            ["app_displayname"] = app.DisplayName,
            ["appid"] = app.AppId.ToString(),
            ["azp"] = app.AppId.ToString(),
            ["idp"] = SandboxHosts.Issuer(tenant.Id),
            ["tid"] = tenant.Id.ToString(),
            ["uti"] = SandboxIds.Opaque(16),
            ["ver"] = "1.0",
            ["xms_tcdt"] = tenant.CreatedAt.ToUnixTimeSeconds(),
        };
    }

    private static string PairwiseSubject(Guid userId, Guid appId) =>
        Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes($"{userId}:{appId}")));

    private async Task<string> SignAsync(SbTenant tenant, Dictionary<string, object> claims, CancellationToken cancellationToken)
    {
        var key = await keys.GetAsync(tenant.Id, cancellationToken);
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = key.SigningCredentials,
            TokenType = "JWT",
        });
    }
}
