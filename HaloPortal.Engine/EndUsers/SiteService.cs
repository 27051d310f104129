using System.Text.RegularExpressions;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.EndUsers;

/// <summary>A site as screens and the API show it.</summary>
public sealed record SiteView(int Id, string Name, IReadOnlyList<string> Domains, bool IsDefaultForNewUsers, int UserCount, DateTimeOffset CreatedAt);

/// <summary>What an administrator enters for a site: a name and its email domains (one or more, or none).</summary>
public sealed record SiteInput(string Name, IReadOnlyList<string> Domains);

/// <summary>Customer sites: new users are placed on the site whose email domain matches, else on the default site for new users.</summary>
public interface ISites
{
    Task<IReadOnlyList<SiteView>> ListAsync(CancellationToken cancellationToken = default);

    Task<SiteView?> GetAsync(int id, CancellationToken cancellationToken = default);

    /// <exception cref="ArgumentException">The name is missing or taken, or a domain is invalid or already on another site (the message says which).</exception>
    Task<SiteView> CreateAsync(SiteInput input, Actor actor, CancellationToken cancellationToken = default);

    /// <exception cref="ArgumentException">As for <see cref="CreateAsync"/>.</exception>
    /// <exception cref="KeyNotFoundException">No such site.</exception>
    Task<SiteView> UpdateAsync(int id, SiteInput input, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Deletes an empty site that is not the default.</summary>
    /// <exception cref="InvalidOperationException">Users are on the site, or it is the default site for new users (the message says what to do).</exception>
    Task<bool> DeleteAsync(int id, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Makes this site the (only) default site for new users.</summary>
    /// <exception cref="KeyNotFoundException">No such site.</exception>
    Task<SiteView> SetDefaultAsync(int id, Actor actor, CancellationToken cancellationToken = default);
}

/// <summary>Validation of site email domains, shared by the engine and the Sites screen.</summary>
public static partial class SiteDomains
{
    /// <summary>The lower-case domain, or an error message saying what is wrong with it.</summary>
    public static (string? Domain, string? Error) Normalise(string? text)
    {
        var d = (text ?? "").Trim().TrimStart('@').TrimEnd('.').ToLowerInvariant();
        if (d.Length == 0)
        {
            return (null, "Enter a domain such as contoso.com.");
        }

        if (d.Contains('@') || d.Contains(' ') || d.Contains('/') || d.Contains(':'))
        {
            return (null, $"'{text?.Trim()}' is not a domain: enter only the part after the @, e.g. contoso.com.");
        }

        if (d.Length > 253 || !DomainPattern().IsMatch(d))
        {
            return (null, $"'{d}' is not a valid email domain: use letters, digits and hyphens in dot-separated labels with at least one dot, e.g. contoso.com.");
        }

        return (d, null);
    }

    /// <summary>Splits a comma, semicolon or whitespace separated list.</summary>
    public static IReadOnlyList<string> Split(string? text) =>
        (text ?? "").Split([',', ';', ' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [GeneratedRegex(@"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex DomainPattern();
}

internal sealed class SiteService(IDbContextFactory<PortalDbContext> contexts, TimeProvider time) : ISites
{
    public async Task<IReadOnlyList<SiteView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Project(db, db.Set<Site>().AsNoTracking().OrderBy(s => s.Name)).ToListAsync(cancellationToken);
    }

    public async Task<SiteView?> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Project(db, db.Set<Site>().AsNoTracking().Where(s => s.Id == id)).SingleOrDefaultAsync(cancellationToken);
    }

    public async Task<SiteView> CreateAsync(SiteInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        var (name, domains) = Check(input);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await EnsureUniqueAsync(db, name, domains, null, cancellationToken);
        var now = time.GetUtcNow();
        var site = new Site { Name = name, CreatedAt = now, Domains = domains.Select(d => new SiteDomain { Domain = d }).ToList() };
        // The very first site becomes the default, so there is always exactly one.
        site.IsDefaultForNewUsers = !await db.Set<Site>().AnyAsync(s => s.IsDefaultForNewUsers, cancellationToken);
        db.Add(site);
        await db.SaveChangesAsync(cancellationToken);
        db.Audit(time, actor, "Site.Created", "Site", site.Id.ToString(), null, new { site.Name, Domains = domains });
        await db.SaveChangesAsync(cancellationToken);
        return (await GetAsync(site.Id, cancellationToken))!;
    }

    public async Task<SiteView> UpdateAsync(int id, SiteInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        var (name, domains) = Check(input);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var site = await db.Set<Site>().Include(s => s.Domains).SingleOrDefaultAsync(s => s.Id == id, cancellationToken)
            ?? throw new KeyNotFoundException($"Site {id} does not exist.");
        await EnsureUniqueAsync(db, name, domains, id, cancellationToken);
        var before = new { site.Name, Domains = site.Domains.Select(d => d.Domain).OrderBy(d => d).ToList() };
        site.Name = name;
        site.Domains.RemoveAll(d => !domains.Contains(d.Domain));
        foreach (var d in domains.Where(d => site.Domains.All(x => x.Domain != d)))
        {
            site.Domains.Add(new SiteDomain { Domain = d });
        }

        db.Audit(time, actor, "Site.Updated", "Site", id.ToString(), before, new { site.Name, Domains = domains.OrderBy(d => d).ToList() });
        await db.SaveChangesAsync(cancellationToken);
        return (await GetAsync(id, cancellationToken))!;
    }

    public async Task<bool> DeleteAsync(int id, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var site = await db.Set<Site>().Include(s => s.Domains).SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (site is null)
        {
            return false;
        }

        var users = await db.Set<EndUser>().CountAsync(u => u.SiteId == id, cancellationToken);
        if (users > 0)
        {
            throw new InvalidOperationException($"'{site.Name}' cannot be deleted: {Plural.Of(users, "user")} {(users == 1 ? "is" : "are")} on it. Move them to another site first (or leave the site in place).");
        }

        if (site.IsDefaultForNewUsers)
        {
            throw new InvalidOperationException($"'{site.Name}' is the default site for new users: make another site the default first.");
        }

        db.Remove(site);
        db.Audit(time, actor, "Site.Deleted", "Site", id.ToString(), new { site.Name, Domains = site.Domains.Select(d => d.Domain).ToList() }, null);
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    public async Task<SiteView> SetDefaultAsync(int id, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var sites = await db.Set<Site>().ToListAsync(cancellationToken);
        var site = sites.SingleOrDefault(s => s.Id == id) ?? throw new KeyNotFoundException($"Site {id} does not exist.");
        if (!site.IsDefaultForNewUsers)
        {
            var previous = sites.FirstOrDefault(s => s.IsDefaultForNewUsers);
            foreach (var s in sites)
            {
                s.IsDefaultForNewUsers = s.Id == id;
            }

            db.Audit(time, actor, "Site.DefaultChanged", "Site", id.ToString(), new { Default = previous?.Name }, new { Default = site.Name });
            await db.SaveChangesAsync(cancellationToken);
        }

        return (await GetAsync(id, cancellationToken))!;
    }

    private static (string Name, List<string> Domains) Check(SiteInput input)
    {
        var name = input.Name?.Trim() ?? "";
        if (name.Length == 0)
        {
            throw new ArgumentException("Give the site a name, e.g. Head office.", "name");
        }

        if (name.Length > 200)
        {
            throw new ArgumentException("Keep the site name under 200 characters.", "name");
        }

        var domains = new List<string>();
        foreach (var text in input.Domains ?? [])
        {
            var (domain, error) = SiteDomains.Normalise(text);
            if (error is not null)
            {
                throw new ArgumentException(error, "domains");
            }

            if (!domains.Contains(domain!))
            {
                domains.Add(domain!);
            }
        }

        return (name, domains);
    }

    private static async Task EnsureUniqueAsync(PortalDbContext db, string name, List<string> domains, int? exceptId, CancellationToken cancellationToken)
    {
        if (await db.Set<Site>().AnyAsync(s => s.Name == name && s.Id != exceptId, cancellationToken))
        {
            throw new ArgumentException($"A site named '{name}' already exists. Choose another name.", "name");
        }

        var taken = await (from d in db.Set<SiteDomain>()
                           join s in db.Set<Site>() on d.SiteId equals s.Id
                           where domains.Contains(d.Domain) && d.SiteId != exceptId
                           select new { d.Domain, s.Name }).FirstOrDefaultAsync(cancellationToken);
        if (taken is not null)
        {
            throw new ArgumentException($"The domain {taken.Domain} already belongs to the site '{taken.Name}': a domain can be on one site only.", "domains");
        }
    }

    private static IQueryable<SiteView> Project(PortalDbContext db, IQueryable<Site> sites) =>
        sites.Select(s => new SiteView(s.Id, s.Name, s.Domains.OrderBy(d => d.Domain).Select(d => d.Domain).ToList(), s.IsDefaultForNewUsers,
            db.Set<EndUser>().Count(u => u.SiteId == s.Id), s.CreatedAt));
}
