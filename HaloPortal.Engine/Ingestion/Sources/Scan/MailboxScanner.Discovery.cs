using System.Text;
using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions.Serialization;

namespace HaloPortal.Engine.Ingestion.Sources.Scan;

/// <summary>Discovery: what a scan found is committed before anything else happens, and unfinished mail is picked up again.</summary>
internal sealed partial class MailboxScanner
{
    /// <summary>Commits every new message as a Pending inbound email with this attempt's raw Graph data, before anything else happens.</summary>
    private async Task<List<WorkItem>> DiscoverAsync(int mailboxId, int credentialId, RequestKind kind, IReadOnlyList<Message> messages, bool resync, CancellationToken cancellationToken)
    {
        var work = new List<WorkItem>();
        if (messages.Count == 0)
        {
            return work;
        }

        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // The same Graph id twice in a page is one message.
        messages = messages.DistinctBy(m => m.Id).ToList();
        var keys = messages.Select(DedupeKey).Concat(messages.Select(m => CopyKey(m.Id!))).Distinct().ToList();
        var known = await db.Set<InboundEmail>().Where(e => e.MailboxId == mailboxId && keys.Contains(e.DedupeKey)).ToDictionaryAsync(e => e.DedupeKey, cancellationToken);
        // A webhook may have discovered the message first, keyed "graph:{id}" until it is fetched: recognise it by its Graph id.
        var graphIds = messages.Select(m => m.Id!).ToList();
        var notified = await db.Set<InboundEmail>()
            .Where(e => e.MailboxId == mailboxId && graphIds.Contains(e.GraphMessageId!) && e.DedupeKey.StartsWith("graph:"))
            .ToListAsync(cancellationToken);
        foreach (var email in notified)
        {
            var message = messages.First(m => m.Id == email.GraphMessageId);
            var key = DedupeKey(message);
            if (!known.ContainsKey(key))
            {
                if (key != email.DedupeKey)
                {
                    email.DedupeKey = key;
                    email.InternetMessageId ??= MessageIdKey.Of(message.InternetMessageId);
                }

                known[key] = email;
            }
        }

        // Which Graph message claimed each key in this page: a second Graph message with the same Message-ID is a copy.
        var claimed = new Dictionary<string, string>(StringComparer.Ordinal);
        var queued = new HashSet<InboundEmail>(ReferenceEqualityComparer.Instance);
        var requests = new List<(InboundEmail Email, InboundRequest Request)>();
        foreach (var message in messages)
        {
            var key = DedupeKey(message);
            if (known.TryGetValue(key, out var existing))
            {
                var copy = claimed.TryGetValue(key, out var claimant) && claimant != message.Id
                           || existing.Stage == InboundStage.Done && existing.GraphMessageId != message.Id && !key.StartsWith("graph:", StringComparison.Ordinal);
                if (!copy)
                {
                    if (existing.Stage == InboundStage.Done)
                    {
                        continue; // processed before: never a second ticket
                    }

                    if (resync && existing.Status == InboundStatus.Failed)
                    {
                        continue; // failed before: a resync lists every message again, but only a replay tries a failed one again
                    }

                    existing.GraphMessageId = message.Id;
                    // A webhook names no sender or subject: the delta query does, so the log shows them from now on.
                    existing.Subject ??= Clip(message.Subject, 1000);
                    existing.From ??= Clip(message.From?.EmailAddress?.Address?.ToLowerInvariant(), 320);
                    existing.ReceivedAt ??= message.ReceivedDateTime;
                    claimed[key] = message.Id!;
                    if (Webhook.WebhookRetries.LeftToItsJob(existing.FoundBy, existing.NextAttemptAt, now))
                    {
                        continue; // waiting for its retry job (the leftovers take it over if the job is lost)
                    }

                    if (queued.Add(existing))
                    {
                        requests.Add((existing, await NewRequestAsync(mailboxId, kind, message, now, resync)));
                    }

                    continue;
                }

                // Another copy of a message this mailbox already holds (delivered twice, or copied back into the folder): it is
                // recorded under its own Graph id and closed as a duplicate once its MIME is read, so it never makes a second ticket.
                key = CopyKey(message.Id!);
                if (known.TryGetValue(key, out var recorded))
                {
                    if (recorded.Stage != InboundStage.Done && queued.Add(recorded))
                    {
                        requests.Add((recorded, await NewRequestAsync(mailboxId, kind, message, now, resync)));
                    }

                    continue;
                }
            }

            var email = new InboundEmail
            {
                MailboxId = mailboxId,
                CredentialId = credentialId,
                DedupeKey = key,
                InternetMessageId = MessageIdKey.Of(message.InternetMessageId),
                GraphMessageId = message.Id,
                Subject = Clip(message.Subject, 1000),
                From = Clip(message.From?.EmailAddress?.Address?.ToLowerInvariant(), 320),
                ReceivedAt = message.ReceivedDateTime,
                FoundBy = kind,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Add(email);
            known[key] = email;
            claimed[key] = message.Id!;
            queued.Add(email);
            requests.Add((email, await NewRequestAsync(mailboxId, kind, message, now, resync)));
        }

        var discovered = db.ChangeTracker.Entries<InboundEmail>().Count(e => e.State == EntityState.Added);
        await db.SaveChangesAsync(cancellationToken);
        foreach (var (email, request) in requests)
        {
            request.InboundEmailId = email.Id;
            db.Add(request);
        }

        await db.SaveChangesAsync(cancellationToken);
        telemetry.EmailDiscovered(mailboxId, SourceTag(kind), discovered);
        work.AddRange(requests.Select(r => new WorkItem(r.Email.Id, r.Request.Id)));
        return work;
    }

    private async Task<List<WorkItem>> LeftoversAsync(int mailboxId, RequestKind kind, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var emails = await db.Set<InboundEmail>().AsNoTracking()
            .Where(e => e.MailboxId == mailboxId && e.Stage != InboundStage.Done && e.Status != InboundStatus.Failed)
            .OrderBy(e => e.Id)
            .Select(e => new { e.Id, e.Stage, e.Attempts, e.NextAttemptAt, e.FoundBy })
            .Take(500)
            .ToListAsync(cancellationToken);
        var requests = emails.Where(e => (e.NextAttemptAt is null || e.NextAttemptAt <= now) && !Webhook.WebhookRetries.LeftToItsJob(e.FoundBy, e.NextAttemptAt, now))
            .Select(email => InboundRequest.Open(mailboxId, kind, now, $"Resuming an unfinished email (stage {email.Stage}, attempt {email.Attempts + 1}).", email.Id))
            .ToList();
        db.AddRange(requests);
        await db.SaveChangesAsync(cancellationToken);
        var work = requests.Select(r => new WorkItem(r.InboundEmailId!.Value, r.Id)).ToList();
        return work;
    }

    private static async Task<InboundRequest> NewRequestAsync(int mailboxId, RequestKind kind, Message message, DateTimeOffset now, bool resync) =>
        InboundRequest.Open(mailboxId, kind, now, resync
                ? $"Found by {kind} in the mailbox (received {message.ReceivedDateTime:u}) while resyncing the folder from scratch: the delta sync state had expired (410 SyncStateNotFound)."
                : $"Found by {kind} in the mailbox (received {message.ReceivedDateTime:u}).")
            .WithRaw(Encoding.UTF8.GetBytes(await KiotaJsonSerializer.SerializeAsStringAsync(message)));

    /// <summary>The <c>source</c> tag of discovered mail: scan, manual_import, lifecycle (a catch-up scan after a missed notification).</summary>
    private static string SourceTag(RequestKind kind) => kind switch
    {
        RequestKind.ManualImport => "manual_import",
        RequestKind.Lifecycle => "lifecycle",
        _ => "scan",
    };

    private static string CopyKey(string graphId) => $"graph:{graphId}";

    private static string? Clip(string? value, int length) => value is null || value.Length <= length ? value : value[..length];

    private static string DedupeKey(Message message) =>
        MessageIdKey.Of(message.InternetMessageId) ?? $"graph:{message.Id}";
}
