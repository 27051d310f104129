using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Notifications;

/// <summary>An agent's inbox: the list, unread count, marking read, and their notification preferences.</summary>
internal sealed partial class NotificationService
{
    public async Task<NotificationPreferences> GetPreferencesAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<AgentNotificationPreferences>().AsNoTracking().SingleOrDefaultAsync(p => p.UserId == userId, cancellationToken);
        return new NotificationPreferences(row?.EmailProcessingErrors ?? false, row?.IntegrationErrors ?? false);
    }

    public async Task<NotificationPreferences> SetPreferencesAsync(string userId, NotificationPreferences preferences, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            throw new KeyNotFoundException($"Agent {userId} does not exist.");
        }

        var row = await db.Set<AgentNotificationPreferences>().SingleOrDefaultAsync(p => p.UserId == userId, cancellationToken);
        var before = row is null ? null : new NotificationPreferences(row.EmailProcessingErrors, row.IntegrationErrors);
        if (row is null)
        {
            row = new AgentNotificationPreferences { UserId = userId };
            db.Add(row);
        }

        row.EmailProcessingErrors = preferences.EmailProcessingErrors;
        row.IntegrationErrors = preferences.IntegrationErrors;
        row.UpdatedAt = time.GetUtcNow();
        db.Audit(time, actor, "Agent.NotificationPreferencesUpdated", "PortalUser", userId, before, preferences);
        await db.SaveChangesAsync(cancellationToken);
        return preferences;
    }

    public async Task<NotificationPage> ListAsync(string userId, bool unreadOnly = false, int page = 1, int pageSize = 50, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var mine = db.Set<Notification>().AsNoTracking().Where(n => n.UserId == userId);
        var unread = await mine.CountAsync(n => n.ReadAt == null, cancellationToken);
        if (unreadOnly)
        {
            mine = mine.Where(n => n.ReadAt == null);
        }

        var total = await mine.CountAsync(cancellationToken);
        pageSize = Math.Clamp(pageSize, 1, 200);
        var items = await mine.OrderByDescending(n => n.CreatedAt).ThenByDescending(n => n.Id).Skip((Math.Max(1, page) - 1) * pageSize).Take(pageSize)
            .Select(n => new NotificationView(n.Id, n.Kind, n.Category, n.Title, n.Message, n.Fix, n.Link, n.CreatedAt, n.ReadAt))
            .ToListAsync(cancellationToken);
        return new NotificationPage(items, total, unread);
    }

    public async Task<int> UnreadCountAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<Notification>().CountAsync(n => n.UserId == userId && n.ReadAt == null, cancellationToken);
    }

    public async Task MarkReadAsync(string userId, long notificationId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var changed = await db.Set<Notification>().Where(n => n.Id == notificationId && n.UserId == userId && n.ReadAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), cancellationToken);
        if (changed > 0)
        {
            events.Raise([userId]);
        }
    }

    public async Task MarkAllReadAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var changed = await db.Set<Notification>().Where(n => n.UserId == userId && n.ReadAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), cancellationToken);
        if (changed > 0)
        {
            events.Raise([userId]);
        }
    }

    public async Task<string?> FindAgentIdAsync(string email, CancellationToken cancellationToken = default)
    {
        var normalized = email.Trim().ToUpperInvariant();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.Where(u => u.NormalizedEmail == normalized).Select(u => u.Id).FirstOrDefaultAsync(cancellationToken);
    }
}
