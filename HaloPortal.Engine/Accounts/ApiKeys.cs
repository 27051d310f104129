using System.Security.Cryptography;
using System.Text;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Accounts;

/// <summary>Who an API key authenticates as.</summary>
public sealed record ApiKeyIdentity(string Name, string Role);

/// <summary>A key as listed in the portal (never the key itself).</summary>
public sealed record ApiKeySummary(Guid Id, string Name, string Role, string Prefix, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A key just created: <see cref="Key"/> is shown once and never again.</summary>
public sealed record CreatedApiKey(ApiKeySummary Summary, string Key);

public interface IApiKeys
{
    /// <summary>Checks a presented key against the configured keys and the active portal keys.</summary>
    Task<ApiKeyIdentity?> ValidateAsync(string presented, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ApiKeySummary>> ListAsync(CancellationToken cancellationToken = default);

    Task<CreatedApiKey> CreateAsync(string name, string role, Actor actor, CancellationToken cancellationToken = default);

    Task RevokeAsync(Guid id, Actor actor, CancellationToken cancellationToken = default);
}

internal sealed class ApiKeyStore(IDbContextFactory<PortalDbContext> contexts, IOptionsMonitor<PortalOptions> options, TimeProvider time) : IApiKeys
{
    private const string KeyPrefix = "hp_";

    public async Task<ApiKeyIdentity?> ValidateAsync(string presented, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(presented) || presented.Length > 256)
        {
            return null;
        }

        var presentedBytes = Encoding.UTF8.GetBytes(presented);
        var configured = options.CurrentValue.ApiKeys;
        for (var i = 0; i < configured.Count; i++)
        {
            if (!string.IsNullOrEmpty(configured[i]) && CryptographicOperations.FixedTimeEquals(presentedBytes, Encoding.UTF8.GetBytes(configured[i])))
            {
                return new ApiKeyIdentity($"configuration key #{i}", PortalRoles.Administrator);
            }
        }

        var hash = Hash(presented);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = await db.Set<ApiKey>().SingleOrDefaultAsync(k => k.Hash == hash, cancellationToken);
        if (key is null || key.RevokedAt is not null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (key.LastUsedAt is null || now - key.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            key.LastUsedAt = now;
            await db.SaveChangesAsync(cancellationToken);
        }

        return new ApiKeyIdentity(key.Name, key.Role);
    }

    public async Task<IReadOnlyList<ApiKeySummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var keys = await db.Set<ApiKey>().AsNoTracking().ToListAsync(cancellationToken);
        return keys.OrderByDescending(k => k.CreatedAt).Select(ToSummary).ToList();
    }

    public async Task<CreatedApiKey> CreateAsync(string name, string role, Actor actor, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("Give the key a name that says who or what uses it.", nameof(name));
        }

        if (!PortalRoles.IsKnown(role))
        {
            throw new ArgumentException($"Choose one of the roles: {string.Join(", ", PortalRoles.All)}.", nameof(role));
        }

        var secret = KeyPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = new ApiKey
        {
            Id = Guid.NewGuid(),
            Name = name.Trim(),
            Role = role,
            Prefix = secret[..10],
            Hash = Hash(secret),
            CreatedAt = time.GetUtcNow(),
            CreatedBy = actor.ToString(),
        };
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Add(key);
        db.Audit(time, actor, "ApiKey.Created", "ApiKey", key.Id.ToString(), null, new { key.Name, key.Role, key.Prefix });
        await db.SaveChangesAsync(cancellationToken);
        return new CreatedApiKey(ToSummary(key), secret);
    }

    public async Task RevokeAsync(Guid id, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = await db.Set<ApiKey>().SingleOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null || key.RevokedAt is not null)
        {
            return;
        }

        key.RevokedAt = time.GetUtcNow();
        db.Audit(time, actor, "ApiKey.Revoked", "ApiKey", key.Id.ToString(), new { key.Name, key.Role, key.Prefix }, new { key.Name, key.Role, key.Prefix, key.RevokedAt });
        await db.SaveChangesAsync(cancellationToken);
    }

    private static ApiKeySummary ToSummary(ApiKey k) => new(k.Id, k.Name, k.Role, k.Prefix, k.CreatedAt, k.CreatedBy, k.LastUsedAt, k.RevokedAt);

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
