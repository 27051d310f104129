using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.EndUsers;

public sealed record UserQuery(string? Search = null, int? SiteId = null, int Page = 1, int PageSize = 25);

public sealed record UserRow(int Id, string Email, string Name, string? Company, string? JobTitle, int SiteId, string SiteName, bool Imported, DateTimeOffset CreatedAt);

public sealed record UserPage(IReadOnlyList<UserRow> Items, int Total);

/// <summary>A user with every field and their site (their tickets: <c>ITickets</c> with <c>TicketQuery.RequesterId</c>).</summary>
public sealed record UserDetails(
    int Id, string Email, string Name, string? FirstName, string? LastName, string? Phone, string? Mobile, string? JobTitle, string? Department,
    string? Company, string? Address, string? Notes, int SiteId, string SiteName, string? OutlookContactId, DateTimeOffset CreatedAt, DateTimeOffset? UpdatedAt);

/// <summary>End users (requesters): created from mail or imported from Outlook contacts.</summary>
public interface IEndUsers
{
    /// <summary>A page of users, searched by name, email or company, optionally on one site.</summary>
    Task<UserPage> QueryAsync(UserQuery query, CancellationToken cancellationToken = default);

    /// <summary>One user, or null.</summary>
    Task<UserDetails?> GetAsync(int id, CancellationToken cancellationToken = default);
}

internal sealed class EndUserService(IDbContextFactory<PortalDbContext> contexts) : IEndUsers
{
    public async Task<UserPage> QueryAsync(UserQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var users = db.Set<EndUser>().AsNoTracking();
        if (query.SiteId is { } siteId)
        {
            users = users.Where(u => u.SiteId == siteId);
        }

        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var pattern = TextSearch.ContainsPattern(query.Search);
            users = users.Where(u => EF.Functions.Like(u.Name.ToLower(), pattern, TextSearch.Escape)
                || EF.Functions.Like(u.Email.ToLower(), pattern, TextSearch.Escape)
                || (u.Company != null && EF.Functions.Like(u.Company.ToLower(), pattern, TextSearch.Escape)));
        }

        var total = await users.CountAsync(cancellationToken);
        var pageSize = Math.Clamp(query.PageSize, 1, 200);
        var items = await (from u in users
                           join s in db.Set<Site>() on u.SiteId equals s.Id
                           orderby u.Name, u.Email
                           select new UserRow(u.Id, u.Email, u.Name, u.Company, u.JobTitle, u.SiteId, s.Name, u.OutlookContactId != null, u.CreatedAt))
            .Skip((Math.Max(1, query.Page) - 1) * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return new UserPage(items, total);
    }

    public async Task<UserDetails?> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await (from u in db.Set<EndUser>().AsNoTracking()
                         join s in db.Set<Site>() on u.SiteId equals s.Id
                         where u.Id == id
                         select new { User = u, SiteName = s.Name }).SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return null;
        }

        var user = row.User;
        return new UserDetails(user.Id, user.Email, user.Name, user.FirstName, user.LastName, user.Phone, user.Mobile, user.JobTitle, user.Department, user.Company,
            user.Address, user.Notes, user.SiteId, row.SiteName, user.OutlookContactId, user.CreatedAt, user.UpdatedAt);
    }
}
