using System.Collections.Concurrent;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HaloPortal.Sandbox.Graph;

/// <summary>Who is calling Graph, from a validated bearer token.</summary>
internal sealed record GraphCaller(Guid TenantId, Guid AppId, Guid? UserId, IReadOnlySet<string> Roles, IReadOnlySet<string> Scopes)
{
    public bool IsApp => UserId is null;

    public bool HasAny(params string[] permissions) =>
        permissions.Any(p => IsApp ? Roles.Contains(p) : Scopes.Contains(p));
}

/// <summary>
/// Validates Graph bearer tokens: signature (the tenant's key), issuer, audience (any cloud's Graph) and expiry by the injected clock.
/// A token that passed is remembered (by its text, bounded) so its signature is checked once; its expiry is checked on every use.
/// </summary>
internal sealed class GraphTokenValidator(IDbContextFactory<SandboxDbContext> contexts, TenantKeys keys, TimeProvider time)
{
    private const int MaxCachedTokens = 1_000;
    private static readonly JsonWebTokenHandler Handler = new();
    private readonly ConcurrentDictionary<string, (GraphCaller Caller, DateTime ValidTo)> _valid = new(StringComparer.Ordinal);

    public async Task<GraphCaller> ValidateAsync(string? authorization, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(authorization) || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            throw new GraphRequestException(401, "InvalidAuthenticationToken", "Access token is empty.");
        }

        var raw = authorization[7..].Trim();
        if (_valid.TryGetValue(raw, out var known))
        {
            return known.ValidTo <= time.GetUtcNow().UtcDateTime ? throw Expired() : known.Caller;
        }

        var (caller, validTo) = await ValidateCoreAsync(raw, ct);
        if (_valid.Count >= MaxCachedTokens)
        {
            var now = time.GetUtcNow().UtcDateTime;
            foreach (var (token, entry) in _valid)
            {
                if (entry.ValidTo <= now)
                {
                    _valid.TryRemove(token, out _);
                }
            }

            if (_valid.Count >= MaxCachedTokens)
            {
                _valid.Clear();
            }
        }

        _valid[raw] = (caller, validTo);
        return caller;
    }

    private static GraphRequestException Expired() =>
        new(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.");

    private async Task<(GraphCaller Caller, DateTime ValidTo)> ValidateCoreAsync(string raw, CancellationToken ct)
    {
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(raw);
        }
        catch (ArgumentException)
        {
            throw new GraphRequestException(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.).");
        }

        if (!jwt.TryGetPayloadValue<string>("tid", out var tidText) || !Guid.TryParse(tidText, out var tenantId))
        {
            throw new GraphRequestException(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.");
        }

        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            if (!await db.Tenants.AnyAsync(t => t.Id == tenantId, ct))
            {
                throw new GraphRequestException(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid issuer.");
            }
        }

        var key = await keys.GetAsync(tenantId, ct);
        var result = await Handler.ValidateTokenAsync(raw, new TokenValidationParameters
        {
            IssuerSigningKey = key.SecurityKey,
            ValidIssuer = SandboxHosts.Issuer(tenantId),
            ValidAudiences = ScopeRequest.GraphResources.SelectMany(r => new[] { r, r + "/" }),
            ValidateLifetime = false,
            RequireSignedTokens = true,
        });
        if (!result.IsValid)
        {
            var message = result.Exception switch
            {
                SecurityTokenInvalidAudienceException => "Access token validation failure. Invalid audience.",
                SecurityTokenInvalidIssuerException => "Access token validation failure. Invalid issuer.",
                _ => "Access token validation failure. Invalid signature.",
            };
            throw new GraphRequestException(401, "InvalidAuthenticationToken", message);
        }

        if (jwt.ValidTo <= time.GetUtcNow().UtcDateTime)
        {
            throw Expired();
        }

        var appId = Guid.Parse(jwt.GetPayloadValue<string>("appid"));
        var roles = jwt.TryGetPayloadValue<string[]>("roles", out var r) ? r.ToHashSet(StringComparer.OrdinalIgnoreCase) : [];
        var scopes = jwt.TryGetPayloadValue<string>("scp", out var s) ? s.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase) : [];
        Guid? userId = jwt.TryGetPayloadValue<string>("idtyp", out var type) && type == "user" ? Guid.Parse(jwt.GetPayloadValue<string>("oid")) : null;
        return (new GraphCaller(tenantId, appId, userId, roles, scopes), jwt.ValidTo);
    }
}
