using HaloPortal.Engine.Credentials;
using HaloPortal.Sandbox.Data;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Sandbox.Identity;

/// <summary>The sandbox tenant knows each secret it issued, so a pasted sandbox secret brings its own expiry date.</summary>
internal sealed class SandboxSecretLifetimes(IDbContextFactory<SandboxDbContext> contexts) : IClientSecretLifetimes
{
    public async Task<DateTimeOffset?> ExpiresAtAsync(GraphAuthority authority, string clientId, string secret, CancellationToken cancellationToken = default)
    {
        if (authority != GraphAuthority.Sandbox || !Guid.TryParse(clientId, out var appId) || string.IsNullOrEmpty(secret))
        {
            return null;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var hash = SandboxIds.Sha256(secret);
        var secrets = await (from s in db.Secrets.AsNoTracking()
                             join a in db.Applications.AsNoTracking() on s.ApplicationId equals a.Id
                             where a.AppId == appId
                             select s).ToListAsync(cancellationToken);
        return secrets.FirstOrDefault(s => SandboxIds.FixedTimeEquals(s.ValueHash, hash))?.ExpiresAt;
    }
}
