using System.Text.Json;
using System.Text.Json.Nodes;
using HaloPortal.Sandbox.Control;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Mail;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Sandbox.Webhooks;

/// <summary>
/// Queues change notifications (in Graph's documented shape) for the subscriptions a mailbox change matches. The subscriptions are
/// kept in memory between changes (most changes match none); whoever creates, renews or removes one calls <see cref="SubscriptionsChanged"/>.
/// </summary>
internal sealed class ChangeNotifier(IDbContextFactory<SandboxDbContext> contexts, TimeProvider time, WebhookSignal signal, FaultRegistry faults)
{
    private SbSubscription[]? _subscriptions;
    private long _version;

    /// <summary>Forgets the remembered subscriptions; call after a subscription was created, renewed or removed.</summary>
    public void SubscriptionsChanged()
    {
        Interlocked.Increment(ref _version);
        Volatile.Write(ref _subscriptions, null);
    }

    public async Task PublishAsync(IReadOnlyList<MailChange> changes, CancellationToken ct)
    {
        if (changes.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        var all = await SubscriptionsAsync(ct);
        var subscriptions = all.Where(s => s.ExpiresAt > now && changes.Any(c => c.MailboxId == s.MailboxId)).ToList();
        if (subscriptions.Count == 0)
        {
            return;
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var mailboxIds = changes.Select(c => c.MailboxId).Distinct().ToList();
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

    private async Task<SbSubscription[]> SubscriptionsAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _subscriptions) is { } known)
        {
            return known;
        }

        var version = Volatile.Read(ref _version);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var subscriptions = await db.Subscriptions.AsNoTracking().ToArrayAsync(ct);
        // Kept unless a change happened while reading (the read may predate it).
        Interlocked.CompareExchange(ref _subscriptions, subscriptions, null);
        if (Volatile.Read(ref _version) != version)
        {
            Volatile.Write(ref _subscriptions, null);
        }

        return subscriptions;
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
