using System.Net;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Nodes;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Notifications;

/// <summary>A problem to report: <paramref name="Key"/> (see <see cref="ProblemKeys"/>) identifies it across repeats.</summary>
/// <param name="Fix">What to do (the catalogued fix when there is one).</param>
/// <param name="Link">The portal screen where it can be fixed, e.g. "/configuration/email/mailboxes/3?tab=credentials".</param>
/// <param name="NotifyWhenTitleChanges">
/// A problem that grows worse in stages (a secret expiring in 30, then 7, then 1 day): while it is open, a report with another
/// title notifies again with that title. Otherwise a repeat only counts an occurrence.
/// </param>
public sealed record ProblemReport(string Key, NotificationCategory Category, string Title, string Message, string? Fix = null, string? Link = null,
    bool NotifyWhenTitleChanges = false);

/// <summary>An agent's subscriptions.</summary>
public sealed record NotificationPreferences(bool EmailProcessingErrors, bool IntegrationErrors);

public sealed record NotificationView(long Id, NotificationKind Kind, NotificationCategory Category, string Title, string Message, string? Fix, string? Link,
    DateTimeOffset CreatedAt, DateTimeOffset? ReadAt);

public sealed record NotificationPage(IReadOnlyList<NotificationView> Items, int Total, int Unread);

/// <summary>
/// Error notifications with problem tracking: a problem is opened once (subscribed agents are notified in the portal and by
/// email), repeats only count, and it is resolved once ("recovered" notification). Agents subscribe per category.
/// </summary>
public interface INotifications
{
    /// <summary>Reports a problem; true when this opened it (and notified the subscribed agents), false when it was already open.</summary>
    Task<bool> RaiseAsync(ProblemReport problem, CancellationToken cancellationToken = default);

    /// <summary>Closes the open problem with this key; true when there was one (subscribed agents are told it recovered).</summary>
    Task<bool> ResolveAsync(string key, string? message = null, CancellationToken cancellationToken = default);

    Task<NotificationPreferences> GetPreferencesAsync(string userId, CancellationToken cancellationToken = default);

    /// <exception cref="KeyNotFoundException">No such agent.</exception>
    Task<NotificationPreferences> SetPreferencesAsync(string userId, NotificationPreferences preferences, Actor actor, CancellationToken cancellationToken = default);

    Task<NotificationPage> ListAsync(string userId, bool unreadOnly = false, int page = 1, int pageSize = 50, CancellationToken cancellationToken = default);

    Task<int> UnreadCountAsync(string userId, CancellationToken cancellationToken = default);

    Task MarkReadAsync(string userId, long notificationId, CancellationToken cancellationToken = default);

    Task MarkAllReadAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>The agent with this email address, or null.</summary>
    Task<string?> FindAgentIdAsync(string email, CancellationToken cancellationToken = default);
}

/// <summary>Raised after notifications of these agents changed (new, read), so open screens (the bell) refresh.</summary>
public interface INotificationEvents
{
    event Action<IReadOnlyCollection<string>>? Changed;
}

/// <summary>Raises <see cref="Changed"/> here and, through the change feed (one key per agent), on the other portal nodes.</summary>
internal sealed class NotificationEvents(IChangeFeed feed) : INotificationEvents, IChangeTopic
{
    private const string Topic = "notifications";

    public event Action<IReadOnlyCollection<string>>? Changed;

    string IChangeTopic.Topic => Topic;

    public void Raise(IReadOnlyCollection<string> userIds)
    {
        if (userIds.Count > 0)
        {
            foreach (var userId in userIds)
            {
                feed.Publish(Topic, userId);
            }

            Changed?.Invoke(userIds);
        }
    }

    Task IChangeTopic.ApplyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count > 0)
        {
            Changed?.Invoke(keys);
        }

        return Task.CompletedTask;
    }
}

internal sealed partial class NotificationService(
    IDbContextFactory<PortalDbContext> contexts,
    IDeployment deployment,
    OutboundSignal outboundSignal,
    NotificationEvents events,
    TimeProvider time,
    IOptions<PortalOptions> portal,
    ILogger<NotificationService> logger) : INotifications
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<bool> RaiseAsync(ProblemReport problem, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(problem.Key);
        List<string> notified;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var now = time.GetUtcNow();
            var open = await db.Set<Problem>().SingleOrDefaultAsync(p => p.Key == problem.Key && p.ResolvedAt == null, cancellationToken);
            if (open is not null)
            {
                open.Occurrences++;
                open.LastSeenAt = now;
                open.Message = problem.Message;
                var title = Truncate(problem.Title, 500);
                if (!problem.NotifyWhenTitleChanges || open.Title == title)
                {
                    await db.SaveChangesAsync(cancellationToken);
                    return false;
                }

                // The problem reached its next stage: the same open problem, announced again under its new title.
                open.Title = title;
                open.Fix = problem.Fix;
                open.Link = problem.Link;
                await db.SaveChangesAsync(cancellationToken);
                notified = await NotifyAsync(db, open, NotificationKind.Problem, open.Title, open.Message, open.Fix, now, cancellationToken);
                logger.LogWarning("Problem {Key} escalated: {Title}; {Count} agent(s) notified", open.Key, open.Title, notified.Count);
            }
            else
            {
                var row = new Problem
                {
                    Key = problem.Key,
                    Category = problem.Category,
                    Title = Truncate(problem.Title, 500),
                    Message = problem.Message,
                    Fix = problem.Fix,
                    Link = problem.Link,
                    OpenedAt = now,
                    LastSeenAt = now,
                };
                db.Add(row);
                await db.SaveChangesAsync(cancellationToken);
                notified = await NotifyAsync(db, row, NotificationKind.Problem, row.Title, row.Message, row.Fix, now, cancellationToken);
                logger.LogWarning("Problem {Key} opened: {Title}; {Count} agent(s) notified", row.Key, row.Title, notified.Count);
            }
        }
        finally
        {
            _gate.Release();
        }

        outboundSignal.Wake();
        events.Raise(notified);
        return true;
    }

    public async Task<bool> ResolveAsync(string key, string? message = null, CancellationToken cancellationToken = default)
    {
        await using (var probe = await contexts.CreateDbContextAsync(cancellationToken))
        {
            // The common case (nothing open) costs one indexed query and no lock.
            if (!await probe.Set<Problem>().AnyAsync(p => p.Key == key && p.ResolvedAt == null, cancellationToken))
            {
                return false;
            }
        }

        List<string> notified;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var open = await db.Set<Problem>().SingleOrDefaultAsync(p => p.Key == key && p.ResolvedAt == null, cancellationToken);
            if (open is null)
            {
                return false;
            }

            var now = time.GetUtcNow();
            open.ResolvedAt = now;
            await db.SaveChangesAsync(cancellationToken);
            notified = await NotifyAsync(db, open, NotificationKind.Recovered, $"Recovered: {open.Title}",
                message ?? $"This is working again (the problem started {open.OpenedAt:yyyy-MM-dd HH:mm} UTC and was seen {(open.Occurrences == 1 ? "once" : Plural.Of(open.Occurrences, "time"))}).", null, now, cancellationToken);
            logger.LogInformation("Problem {Key} resolved; {Count} agent(s) notified", key, notified.Count);
        }
        finally
        {
            _gate.Release();
        }

        outboundSignal.Wake();
        events.Raise(notified);
        return true;
    }

    private async Task<List<string>> NotifyAsync(PortalDbContext db, Problem problem, NotificationKind kind, string title, string message, string? fix, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var subscribed = db.Set<AgentNotificationPreferences>().AsNoTracking();
        subscribed = problem.Category == NotificationCategory.EmailProcessing
            ? subscribed.Where(p => p.EmailProcessingErrors)
            : subscribed.Where(p => p.IntegrationErrors);
        var agents = await (from p in subscribed
                            join u in db.Users.AsNoTracking() on p.UserId equals u.Id
                            where !u.IsDisabled
                            select new { u.Id, u.Email, u.DisplayName }).ToListAsync(cancellationToken);
        foreach (var agent in agents)
        {
            db.Add(new Notification
            {
                UserId = agent.Id,
                ProblemId = problem.Id,
                Kind = kind,
                Category = problem.Category,
                Title = Truncate(title, 500),
                Message = message,
                Fix = fix,
                Link = problem.Link,
                CreatedAt = now,
            });
            if (!string.IsNullOrWhiteSpace(agent.Email))
            {
                db.Add(new OutboundMessage
                {
                    Kind = OutboundKind.Notification,
                    To = agent.Email.ToLowerInvariant(),
                    ToName = agent.DisplayName,
                    Subject = Truncate($"[HaloPortal] {title}", 1000),
                    BodyHtml = EmailBody(agent.DisplayName, title, message, fix, problem.Link),
                    InternetMessageId = OutboundMime.NewMessageId(deployment.DeploymentId),
                    CreatedAt = now,
                    NextAttemptAt = now,
                });
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        return agents.Select(a => a.Id).ToList();
    }

    private string EmailBody(string name, string title, string message, string? fix, string? link)
    {
        static string enc(string? value) => WebUtility.HtmlEncode(value ?? "");
        var url = link is null ? null : portal.Value.PublicBaseUrl is { Length: > 0 } baseUrl ? baseUrl.TrimEnd('/') + link : link;
        return $"<div><p>Hello {enc(name)},</p><p><b>{enc(title)}</b></p><p>{enc(message)}</p>"
            + (fix is null ? "" : $"<p><b>How to fix:</b> {enc(fix)}</p>")
            + (url is null ? "" : $"<p>Fix it here: <a href=\"{enc(url)}\">{enc(url)}</a></p>")
            + "<p>You receive this because you subscribed to error notifications (Account &gt; Preferences in HaloPortal).</p></div>";
    }

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}
