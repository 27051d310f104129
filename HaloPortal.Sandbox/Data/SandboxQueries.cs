using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Sandbox.Data;

internal static class SandboxQueries
{
    /// <summary>A tenant by id or by its domain, as Entra accepts either in the authority.</summary>
    public static async Task<SbTenant?> FindTenantAsync(this SandboxDbContext db, string tenant, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(tenant, out var id))
        {
            return await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == id, cancellationToken);
        }

        var domain = tenant.Trim().ToLowerInvariant();
        return await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.DefaultDomain == domain, cancellationToken);
    }

    /// <summary>A user of a tenant by object id, UPN or mail address (case-insensitive).</summary>
    public static async Task<SbUser?> FindUserAsync(this SandboxDbContext db, Guid tenantId, string idOrUpn, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(idOrUpn, out var id))
        {
            return await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.TenantId == tenantId && u.Id == id, cancellationToken);
        }

        var upn = idOrUpn.Trim();
        return await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.TenantId == tenantId && u.UserPrincipalName == upn, cancellationToken);
    }

    /// <summary>A mailbox by address in any tenant (mail is delivered across tenants).</summary>
    public static async Task<SbUser?> FindMailboxAsync(this SandboxDbContext db, string address, CancellationToken cancellationToken)
    {
        var upn = address.Trim();
        return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserPrincipalName == upn && u.MailboxType != SandboxMailboxType.None, cancellationToken);
    }

    /// <summary>The next value of the change sequence; call inside the mail write gate.</summary>
    public static async Task<long> NextSeqAsync(this SandboxDbContext db, CancellationToken cancellationToken)
    {
        var counter = db.Counters.Local.FirstOrDefault(c => c.Name == "change")
                      ?? await db.Counters.SingleOrDefaultAsync(c => c.Name == "change", cancellationToken);
        if (counter is null)
        {
            counter = new SbCounter { Name = "change", Value = 0 };
            db.Counters.Add(counter);
        }

        counter.Value++;
        return counter.Value;
    }
}
