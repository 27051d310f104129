using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.EndUsers;

/// <summary>Finds the requester of an email by address, or creates one on the site matching its domain (else the default site for new users).</summary>
internal static class Requesters
{
    public const string DefaultSiteName = "Main site";

    public static async Task<EndUser> FindOrCreateAsync(PortalDbContext db, string address, string? name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var email = address.Trim().ToLowerInvariant();
        var user = db.Tracked<EndUser>().FirstOrDefault(u => u.Email == email)
            ?? await db.Set<EndUser>().SingleOrDefaultAsync(u => u.Email == email, cancellationToken);
        if (user is not null)
        {
            return user;
        }

        user = new EndUser
        {
            Email = email,
            Name = string.IsNullOrWhiteSpace(name) ? email : name.Trim(),
            SiteId = await SiteForAsync(db, email, now, cancellationToken),
            CreatedAt = now,
        };
        db.Add(user);
        return user;
    }

    /// <summary>The site whose domain matches the address (the most specific suffix wins), else the default site for new users.</summary>
    public static async Task<int> SiteForAsync(PortalDbContext db, string email, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var domain = email[(email.LastIndexOf('@') + 1)..];
        var candidates = new List<string>();
        for (var d = domain; d.Contains('.'); d = d[(d.IndexOf('.') + 1)..])
        {
            candidates.Add(d);
        }

        var matches = await db.Set<SiteDomain>().Where(s => candidates.Contains(s.Domain)).ToListAsync(cancellationToken);
        if (matches.OrderByDescending(m => m.Domain.Length).FirstOrDefault() is { } match)
        {
            return match.SiteId;
        }

        return await DefaultSiteIdAsync(db, now, cancellationToken);
    }

    public static async Task<int> DefaultSiteIdAsync(PortalDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var id = await db.Set<Site>().Where(s => s.IsDefaultForNewUsers).Select(s => (int?)s.Id).FirstOrDefaultAsync(cancellationToken);
        if (id is { } existing)
        {
            return existing;
        }

        var site = db.Tracked<Site>().FirstOrDefault(s => s.IsDefaultForNewUsers);
        if (site is null)
        {
            site = new Site { Name = DefaultSiteName, IsDefaultForNewUsers = true, CreatedAt = now };
            db.Add(site);
            await db.SaveChangesAsync(cancellationToken);
        }

        return site.Id;
    }
}
