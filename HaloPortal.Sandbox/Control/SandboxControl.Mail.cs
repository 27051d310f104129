using System.Text.Json;
using System.Text.Json.Nodes;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Mail;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Sandbox.Control;

/// <summary>Mailboxes, delivered mail, contacts, subscriptions and faults.</summary>
internal sealed partial class SandboxControl
{
    public async Task<IReadOnlyList<SandboxMailboxInfo>> ListMailboxesAsync(string? tenant = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var users = db.Users.AsNoTracking().Where(u => u.MailboxType != SandboxMailboxType.None);
        if (tenant is not null)
        {
            var row = await TenantAsync(db, tenant, cancellationToken);
            users = users.Where(u => u.TenantId == row.Id);
        }

        var list = await users.OrderBy(u => u.UserPrincipalName).ToListAsync(cancellationToken);
        var result = new List<SandboxMailboxInfo>();
        foreach (var u in list)
        {
            var inbox = await db.Folders.AsNoTracking().Where(f => f.MailboxId == u.Id && f.WellKnownName == "inbox").Select(f => f.Id).SingleAsync(cancellationToken);
            var count = await db.Messages.CountAsync(m => m.FolderId == inbox, cancellationToken);
            var unread = await db.Messages.CountAsync(m => m.FolderId == inbox && !m.IsRead, cancellationToken);
            result.Add(new SandboxMailboxInfo(u.TenantId, u.Id, u.UserPrincipalName, u.DisplayName, u.MailboxType, count, unread));
        }

        return result;
    }

    public async Task<IReadOnlyList<SandboxFolderInfo>> ListFoldersAsync(string mailbox, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await MailboxAsync(db, mailbox, cancellationToken);
        var folders = await db.Folders.AsNoTracking()
            .Where(f => f.MailboxId == user.Id && f.WellKnownName != "msgfolderroot")
            .ToListAsync(cancellationToken);
        var ids = folders.Select(f => f.Id).ToList();
        var counts = await db.Messages.AsNoTracking().Where(m => ids.Contains(m.FolderId))
            .GroupBy(m => m.FolderId)
            .Select(g => new { FolderId = g.Key, Total = g.Count(), Unread = g.Count(m => !m.IsRead) })
            .ToDictionaryAsync(c => c.FolderId, cancellationToken);
        var order = MailStore.WellKnownFolders.Select(w => w.WellKnown).ToList();
        return folders
            .OrderBy(f => f.WellKnownName is { } w && order.IndexOf(w) is var i and >= 0 ? i : order.Count)
            .ThenBy(f => f.DisplayName, StringComparer.OrdinalIgnoreCase)
            .Select(f => new SandboxFolderInfo(f.Id, f.DisplayName, f.WellKnownName,
                counts.TryGetValue(f.Id, out var c) ? c.Total : 0, counts.TryGetValue(f.Id, out var u) ? u.Unread : 0))
            .ToList();
    }

    public async Task<IReadOnlyList<SandboxMessageInfo>> ListMessagesAsync(string mailbox, string folder, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await MailboxAsync(db, mailbox, cancellationToken);
        var target = await MailStore.FindFolderAsync(db, user.Id, folder, cancellationToken)
                     ?? throw new SandboxNotFoundException($"The mailbox {user.UserPrincipalName} has no folder '{folder}'.");
        return (await db.Messages.AsNoTracking().Where(m => m.FolderId == target.Id).ToListAsync(cancellationToken))
            .OrderByDescending(m => m.ReceivedAt).ThenByDescending(m => m.ChangeSeq)
            .Select(m => new SandboxMessageInfo(m.Id, m.Subject, m.InternetMessageId, m.IsRead, m.From?.Address, m.ReceivedAt)).ToList();
    }

    public async Task<SandboxDeliveredMessage> DeliverMimeAsync(string mailbox, Stream mime, string? folder = null, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await mime.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length == 0)
        {
            throw new ArgumentException("The message is empty; send the raw RFC 822 message as the body (Content-Type: message/rfc822).", nameof(mime));
        }

        SbUser user;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            user = await MailboxAsync(db, mailbox, cancellationToken);
            if (await MailStore.FindFolderAsync(db, user.Id, folder ?? "inbox", cancellationToken) is null)
            {
                throw new SandboxNotFoundException($"The mailbox {user.UserPrincipalName} has no folder '{folder}'.");
            }
        }

        try
        {
            var message = await mail.DeliverAsync(user, buffer.ToArray(), folder ?? "inbox", isRead: false, cancellationToken);
            return new SandboxDeliveredMessage(message.Id, message.InternetMessageId);
        }
        catch (MimeKit.ParseException ex)
        {
            throw new ArgumentException($"The body is not a readable RFC 822 message: {ex.Message}", nameof(mime));
        }
    }

    public async Task<IReadOnlyList<string>> AddContactsAsync(string mailbox, JsonElement contacts, CancellationToken cancellationToken = default)
    {
        var items = contacts.ValueKind switch
        {
            JsonValueKind.Array => contacts.EnumerateArray().ToList(),
            JsonValueKind.Object => [contacts],
            _ => throw new ArgumentException("Send a Graph contact object or an array of them.", nameof(contacts)),
        };
        var prepared = new List<(string, string)>();
        foreach (var item in items)
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new ArgumentException("Each contact must be a JSON object.", nameof(contacts));
            }

            var json = JsonNode.Parse(item.GetRawText())!.AsObject();
            foreach (var system in new[] { "id", "@odata.etag", "createdDateTime", "lastModifiedDateTime", "changeKey" })
            {
                json.Remove(system);
            }

            var displayName = json["displayName"]?.GetValue<string>()
                              ?? string.Join(' ', new[] { json["givenName"]?.GetValue<string>(), json["surname"]?.GetValue<string>() }.Where(s => !string.IsNullOrEmpty(s)));
            if (string.IsNullOrEmpty(displayName))
            {
                displayName = json["emailAddresses"]?.AsArray().FirstOrDefault()?["address"]?.GetValue<string>() ?? "";
            }

            json.Remove("displayName");
            prepared.Add((displayName, json.ToJsonString()));
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await MailboxAsync(db, mailbox, cancellationToken);
        var added = await mail.AddContactsAsync(user.Id, prepared, cancellationToken);
        return added.Select(c => c.Id).ToList();
    }

    public async Task<IReadOnlyList<SandboxSubscriptionInfo>> ListSubscriptionsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var subscriptions = await db.Subscriptions.AsNoTracking().OrderBy(s => s.CreatedAt).ToListAsync(cancellationToken);
        var pending = await db.Notifications.AsNoTracking().Where(n => n.Status == SbNotificationStatus.Pending)
            .GroupBy(n => n.SubscriptionId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        return subscriptions.Select(s => new SandboxSubscriptionInfo(s.Id, s.TenantId, s.AppId, s.Resource, s.ChangeType, s.NotificationUrl, s.LifecycleNotificationUrl,
            s.ExpiresAt, s.DeliveredCount, s.SlowCount, s.FailedCount, pending.GetValueOrDefault(s.Id))).ToList();
    }

    public async Task TriggerLifecycleEventAsync(Guid subscriptionId, SandboxLifecycleEvent lifecycleEvent, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var subscription = await db.Subscriptions.SingleOrDefaultAsync(s => s.Id == subscriptionId, cancellationToken)
                           ?? throw new SandboxNotFoundException($"There is no subscription {subscriptionId}.");
        if (string.IsNullOrEmpty(subscription.LifecycleNotificationUrl))
        {
            throw new ArgumentException("This subscription has no lifecycleNotificationUrl, so Graph would not send it lifecycle notifications.", nameof(subscriptionId));
        }

        var name = lifecycleEvent switch
        {
            SandboxLifecycleEvent.ReauthorizationRequired => "reauthorizationRequired",
            SandboxLifecycleEvent.SubscriptionRemoved => "subscriptionRemoved",
            _ => "missed",
        };
        await notifier.PublishLifecycleAsync(db, subscription, name, cancellationToken);
        if (lifecycleEvent == SandboxLifecycleEvent.SubscriptionRemoved)
        {
            db.Subscriptions.Remove(subscription);
            await db.SaveChangesAsync(cancellationToken);
            notifier.SubscriptionsChanged();
        }
    }

    public async Task<Guid> AddFaultAsync(SandboxFaultRequest fault, CancellationToken cancellationToken = default)
    {
        if (fault.Count is <= 0)
        {
            throw new ArgumentException("count must be at least 1 (or omitted for until cleared).", "count");
        }

        if (fault.Status is { } status && (status < 400 || status > 599))
        {
            throw new ArgumentException("status must be an HTTP error status between 400 and 599.", "status");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        string? mailbox = null;
        if (!string.IsNullOrWhiteSpace(fault.Mailbox))
        {
            mailbox = (await MailboxAsync(db, fault.Mailbox, cancellationToken)).UserPrincipalName;
        }

        var now = time.GetUtcNow();
        var entity = new SbFault
        {
            Id = Guid.NewGuid(),
            Mailbox = mailbox,
            Kind = fault.Kind,
            Status = fault.Status,
            Remaining = fault.Count,
            RetryAfterSeconds = fault.RetryAfterSeconds,
            DelaySeconds = fault.DelaySeconds,
            CreatedAt = now,
        };
        if (fault.Kind == SandboxFaultKind.RevokeGrants)
        {
            // Revocation is immediate: refresh tokens issued so far die (invalid_grant, AADSTS50173).
            var tokens = db.RefreshTokens.Where(r => r.RevokedAt == null);
            if (mailbox is not null)
            {
                var userId = await db.Users.Where(u => u.UserPrincipalName == mailbox).Select(u => u.Id).SingleAsync(cancellationToken);
                var delegateIds = await db.Delegates.Where(d => d.MailboxId == userId).Select(d => d.DelegateId).ToListAsync(cancellationToken);
                tokens = tokens.Where(r => r.UserId == userId || delegateIds.Contains(r.UserId));
            }

            await tokens.ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, now), cancellationToken);
            entity.Remaining = 1;
        }
        else
        {
            // An expiry is an event, not a state: without a count only the next use of a delta link is refused.
            entity.Remaining ??= fault.Kind == SandboxFaultKind.ExpireDeltaTokens ? 1 : null;
            db.Faults.Add(entity);
            await db.SaveChangesAsync(cancellationToken);
            faults.Changed();
        }

        return entity.Id;
    }

    public async Task<IReadOnlyList<SandboxFaultInfo>> ListFaultsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await db.Faults.AsNoTracking().OrderBy(f => f.CreatedAt).ToListAsync(cancellationToken))
            .Select(f => new SandboxFaultInfo(f.Id, f.Mailbox, f.Kind, f.Status, f.Remaining, f.RetryAfterSeconds, f.DelaySeconds)).ToList();
    }

    public async Task ClearFaultsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Faults.ExecuteDeleteAsync(cancellationToken);
        faults.Changed();
    }
}
