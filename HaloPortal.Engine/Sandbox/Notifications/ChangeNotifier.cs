using System.Text.Json;
using System.Text.Json.Nodes;
using HaloPortal.Engine.Sandbox.Control;
using HaloPortal.Engine.Sandbox.Data;
using HaloPortal.Engine.Sandbox.Mail;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Sandbox.Notifications;

/// <summary>Queues change notifications (in Graph's documented shape) for the subscriptions a mailbox change matches.</summary>
internal sealed class ChangeNotifier(IDbContextFactory<SandboxDbContext> contexts, TimeProvider time, NotificationSignal signal, FaultRegistry faults)
{
    public async Task PublishAsync(IReadOnlyList<MailChange> changes, CancellationToken ct)
    {
        if (changes.Count == 0)
        {
            return;
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        var mailboxIds = changes.Select(c => c.MailboxId).Distinct().ToList();
        var subscriptions = await db.Subscriptions.AsNoTracking().Where(s => mailboxIds.Contains(s.MailboxId) && s.ExpiresAt > now).ToListAsync(ct);
        if (subscriptions.Count == 0)
        {
            return;
        }

        var addresses = await db.Users.AsNoTracking().Where(u => mailboxIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.UserPrincipalName, ct);
        var queued = 0;
        foreach (var change in changes)
        {
            foreach (var subscription in subscriptions.Where(s => s.MailboxId == change.MailboxId && (s.FolderId is null || s.FolderId == change.FolderId)))
            {
                if (!subscription.ChangeType.Split(',', StringSplitOptions.TrimEntries).Contains(change.ChangeType, StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }

                var address = addresses.GetValueOrDefault(change.MailboxId);
                if (await faults.TakeAsync(address, [SandboxFaultKind.DropNotifications], ct) is not null)
                {
                    continue;
                }

                var delay = await faults.TakeAsync(address, [SandboxFaultKind.DelayNotifications], ct);
                db.Notifications.Add(new SbNotification
                {
                    SubscriptionId = subscription.Id,
                    Url = subscription.NotificationUrl,
                    Body = ChangeBody(subscription, change),
                    Status = SbNotificationStatus.Pending,
                    CreatedAt = now,
                    NextAttemptAt = now.AddSeconds(delay?.DelaySeconds ?? 0),
                });
                queued++;
            }
        }

        if (queued > 0)
        {
            await db.SaveChangesAsync(ct);
            signal.Set();
        }
    }

    /// <summary>Queues a lifecycle notification to the subscription's lifecycle URL.</summary>
    public async Task PublishLifecycleAsync(SandboxDbContext db, SbSubscription subscription, string lifecycleEvent, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var body = new JsonObject
        {
            ["value"] = new JsonArray(new JsonObject
            {
                ["subscriptionId"] = subscription.Id.ToString(),
                ["subscriptionExpirationDateTime"] = GraphTime(subscription.ExpiresAt),
                ["tenantId"] = subscription.TenantId.ToString(),
                ["clientState"] = subscription.ClientState,
                ["lifecycleEvent"] = lifecycleEvent,
                ["resource"] = subscription.Resource,
                ["organizationId"] = subscription.TenantId.ToString(),
            }),
        };
        db.Notifications.Add(new SbNotification
        {
            SubscriptionId = subscription.Id,
            Lifecycle = true,
            Url = subscription.LifecycleNotificationUrl!,
            Body = body.ToJsonString(),
            Status = SbNotificationStatus.Pending,
            CreatedAt = now,
            NextAttemptAt = now,
        });
        await db.SaveChangesAsync(ct);
        signal.Set();
    }

    private static string ChangeBody(SbSubscription subscription, MailChange change)
    {
        var resource = $"Users/{change.MailboxId}/Messages/{change.MessageId}";
        var body = new JsonObject
        {
            ["value"] = new JsonArray(new JsonObject
            {
                ["subscriptionId"] = subscription.Id.ToString(),
                ["subscriptionExpirationDateTime"] = GraphTime(subscription.ExpiresAt),
                ["changeType"] = change.ChangeType,
                ["resource"] = resource,
                ["resourceData"] = new JsonObject
                {
                    ["@odata.type"] = "#Microsoft.Graph.Message",
                    ["@odata.id"] = resource,
                    ["@odata.etag"] = SandboxIds.ETag(change.Seq),
                    ["id"] = change.MessageId,
                },
                ["clientState"] = subscription.ClientState,
                ["tenantId"] = subscription.TenantId.ToString(),
            }),
        };
        return body.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    internal static string GraphTime(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff'+00:00'", System.Globalization.CultureInfo.InvariantCulture);
}
