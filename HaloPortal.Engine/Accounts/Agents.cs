using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Accounts;

/// <summary>Whether an agent can sign in now.</summary>
public enum AgentStatus
{
    Active,
    Disabled,
    LockedOut,
}

/// <summary>An agent as listed on Configuration &gt; Teams &amp; Agents &gt; Agents (no password material, ever).</summary>
public sealed record AgentSummary(
    string Id,
    string DisplayName,
    string Email,
    IReadOnlyList<string> Roles,
    AgentStatus Status,
    DateTimeOffset CreatedAt,
    bool SignsInWithMicrosoft)
{
    public bool Equals(AgentSummary? other) =>
        other is not null && Id == other.Id && DisplayName == other.DisplayName && Email == other.Email && Roles.SequenceEqual(other.Roles)
        && Status == other.Status && CreatedAt == other.CreatedAt && SignsInWithMicrosoft == other.SignsInWithMicrosoft;

    public override int GetHashCode() => HashCode.Combine(Id, DisplayName, Email, Status, CreatedAt, SignsInWithMicrosoft);
}

/// <summary>A page of agents: <paramref name="Search"/> matches name or email; <paramref name="Page"/> starts at 1.</summary>
public sealed record AgentQuery(string? Search = null, int Page = 1, int PageSize = 25);

public sealed record AgentPage(IReadOnlyList<AgentSummary> Items, int Total);

/// <summary>A new local agent with an initial password.</summary>
public sealed record NewAgent(string DisplayName, string Email, string Password, IReadOnlyCollection<string> Roles);

/// <summary>The editable part of an agent.</summary>
public sealed record AgentUpdate(string DisplayName, IReadOnlyCollection<string> Roles);

/// <summary>
/// Manages the people who sign in to the portal. Input a user can fix is refused with an <see cref="ArgumentException"/>
/// whose <see cref="ArgumentException.ParamName"/> names the field (<c>displayName</c>, <c>email</c>, <c>password</c>,
/// <c>roles</c>, <c>disabled</c>) and whose message says what to do. Every change is audited.
/// </summary>
public interface IAgents
{
    Task<AgentPage> ListAsync(AgentQuery query, CancellationToken cancellationToken = default);

    Task<AgentSummary?> GetAsync(string id, CancellationToken cancellationToken = default);

    Task<AgentSummary> CreateAsync(NewAgent agent, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Changes the display name and roles (a role change renews the security stamp, so open sessions revalidate); null when no such agent.</summary>
    Task<AgentSummary?> UpdateAsync(string id, AgentUpdate update, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>
    /// Disables (the agent's sessions end within the security-stamp validation interval) or enables (also lifting a lockout).
    /// The last enabled administrator cannot be disabled. Null when no such agent.
    /// </summary>
    Task<AgentSummary?> SetDisabledAsync(string id, bool disabled, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Sets a new password (existing sessions end, a lockout is lifted); false when no such agent.</summary>
    Task<bool> ResetPasswordAsync(string id, string newPassword, Actor actor, CancellationToken cancellationToken = default);
}

internal sealed partial class Agents(IServiceScopeFactory scopes, IDbContextFactory<PortalDbContext> contexts, TimeProvider time, ILogger<Agents> logger) : IAgents
{
    // Serialises changes so two administrators cannot each demote the other and leave nobody in charge.
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<AgentPage> ListAsync(AgentQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var users = db.Users.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var term = query.Search.Trim().ToUpperInvariant();
            users = users.Where(u => u.DisplayName.ToUpper().Contains(term) || (u.NormalizedEmail != null && u.NormalizedEmail.Contains(term)));
        }

        var total = await users.CountAsync(cancellationToken);
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var page = await users.OrderBy(u => u.DisplayName.ToUpper()).ThenBy(u => u.NormalizedEmail)
            .Skip((Math.Max(query.Page, 1) - 1) * pageSize).Take(pageSize)
            .ToListAsync(cancellationToken);
        var roles = await RolesOfAsync(db, page.Select(u => u.Id).ToList(), cancellationToken);
        return new AgentPage(page.Select(u => ToSummary(u, roles[u.Id].ToList())).ToList(), total);
    }

    public async Task<AgentSummary?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, cancellationToken);
        if (user is null)
        {
            return null;
        }

        var roles = await RolesOfAsync(db, [user.Id], cancellationToken);
        return ToSummary(user, roles[user.Id].ToList());
    }

    public async Task<AgentSummary> CreateAsync(NewAgent agent, Actor actor, CancellationToken cancellationToken = default)
    {
        var displayName = RequireDisplayName(agent.DisplayName);
        var email = RequireEmail(agent.Email);
        var roles = RequireRoles(agent.Roles);
        if (string.IsNullOrEmpty(agent.Password))
        {
            throw new ArgumentException("Enter an initial password: at least 10 characters with a digit and a lower-case letter.", "password");
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            if (await users.FindByEmailAsync(email) is not null)
            {
                throw DuplicateEmail(email);
            }

            var user = new PortalUser
            {
                UserName = email,
                Email = email,
                DisplayName = displayName,
                EmailConfirmed = true,
                CreatedAt = time.GetUtcNow(),
            };
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            ThrowIfFailed(await users.CreateAsync(user, agent.Password), email);
            ThrowIfFailed(await users.AddToRolesAsync(user, roles), email);
            db.Audit(time, actor, "Agent.Created", "Agent", user.Id, null, Snapshot(user, roles));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            logger.LogInformation("{Actor} created agent {Email} with roles {Roles}", actor, email, roles);
            return ToSummary(user, roles);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<AgentSummary?> UpdateAsync(string id, AgentUpdate update, Actor actor, CancellationToken cancellationToken = default)
    {
        var displayName = RequireDisplayName(update.DisplayName);
        var roles = RequireRoles(update.Roles);

        return await ChangeAsync<AgentSummary?>(id, null, async (users, db, user) =>
        {
            var current = Ordered(await users.GetRolesAsync(user));
            if (current.Contains(PortalRoles.Administrator) && !roles.Contains(PortalRoles.Administrator) && !user.IsDisabled
                && !await AnotherEnabledAdministratorExistsAsync(db, user.Id, cancellationToken))
            {
                throw new ArgumentException(
                    $"{user.DisplayName} is the last enabled administrator, so the Administrator role cannot be removed: nobody could configure the portal any more. Make another agent an administrator first.",
                    "roles");
            }

            var before = Snapshot(user, current);
            if (before == Snapshot(user, roles) && user.DisplayName == displayName)
            {
                return ToSummary(user, current);
            }

            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            user.DisplayName = displayName;
            ThrowIfFailed(await users.UpdateAsync(user), user.Email!);
            var removed = current.Except(roles).ToList();
            var added = roles.Except(current).ToList();
            if (removed.Count > 0)
            {
                ThrowIfFailed(await users.RemoveFromRolesAsync(user, removed), user.Email!);
            }

            if (added.Count > 0)
            {
                ThrowIfFailed(await users.AddToRolesAsync(user, added), user.Email!);
            }

            if (removed.Count > 0 || added.Count > 0)
            {
                // A new stamp makes open sessions (cookies and Blazor circuits) of this agent revalidate within a minute.
                ThrowIfFailed(await users.UpdateSecurityStampAsync(user), user.Email!);
            }

            db.Audit(time, actor, "Agent.Updated", "Agent", user.Id, before, Snapshot(user, roles));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return ToSummary(user, roles);
        }, cancellationToken);
    }

    internal static async Task<ILookup<string, string>> RolesOfAsync(PortalDbContext db, IReadOnlyCollection<string> userIds, CancellationToken cancellationToken)
    {
        var pairs = await (from userRole in db.UserRoles
                           join role in db.Roles on userRole.RoleId equals role.Id
                           where userIds.Contains(userRole.UserId)
                           select new { userRole.UserId, role.Name }).ToListAsync(cancellationToken);
        return pairs.OrderBy(p => RoleOrder(p.Name!)).ToLookup(p => p.UserId, p => p.Name!);
    }

    /// <summary>What the audit trail records about an agent: never hashes, stamps or tokens.</summary>
    internal static AgentAuditSnapshot Snapshot(PortalUser user, IReadOnlyList<string> roles, bool? lockedOut = null) =>
        new(user.DisplayName, user.Email ?? "", roles, user.IsDisabled, lockedOut, user.ExternalObjectId is not null);

    /// <summary>
    /// One change to an existing agent, serialised with every other change (the last-administrator rules read then write): the
    /// agent, the user manager and its context in one scope; <paramref name="notFound"/> when no agent has the id.
    /// </summary>
    private async Task<T> ChangeAsync<T>(string id, T notFound, Func<UserManager<PortalUser>, PortalDbContext, PortalUser, Task<T>> change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var user = await users.FindByIdAsync(id);
            return user is null ? notFound : await change(users, db, user);
        }
        finally
        {
            _gate.Release();
        }
    }

    private AgentSummary ToSummary(PortalUser user, IReadOnlyList<string> roles) =>
        new(user.Id, user.DisplayName, user.Email ?? "", roles,
            user.IsDisabled ? AgentStatus.Disabled : IsLockedOut(user) ? AgentStatus.LockedOut : AgentStatus.Active,
            user.CreatedAt, user.ExternalObjectId is not null);

    private bool IsLockedOut(PortalUser user) => user.LockoutEnd is { } end && end > time.GetUtcNow();
}

/// <summary>The audited state of an agent.</summary>
internal sealed record AgentAuditSnapshot(string DisplayName, string Email, IReadOnlyList<string> Roles, bool Disabled, bool? LockedOut, bool SignsInWithMicrosoft)
{
    public bool Equals(AgentAuditSnapshot? other) =>
        other is not null && DisplayName == other.DisplayName && Email == other.Email && Roles.SequenceEqual(other.Roles)
        && Disabled == other.Disabled && LockedOut == other.LockedOut && SignsInWithMicrosoft == other.SignsInWithMicrosoft;

    public override int GetHashCode() => HashCode.Combine(DisplayName, Email, Disabled, LockedOut, SignsInWithMicrosoft);
}
