using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Subscriptions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Mailbox = HaloPortal.Engine.Mailboxes.Mailbox;

namespace HaloPortal.Engine.Monitoring;

internal sealed class MailboxHealthService(
    IDbContextFactory<PortalDbContext> contexts,
    IGraphClients graph,
    TimeProvider time,
    IOptions<PortalOptions> portal) : IMailboxHealth
{
    public async Task<IReadOnlyList<MailboxHealthView>> ListAsync(CancellationToken cancellationToken = default) =>
        await ReadAsync(null, cancellationToken);

    public async Task<MailboxHealthView?> GetAsync(int mailboxId, CancellationToken cancellationToken = default) =>
        (await ReadAsync(mailboxId, cancellationToken)).SingleOrDefault();

    private async Task<List<MailboxHealthView>> ReadAsync(int? mailboxId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var here = portal.Value.Instance;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var mailboxes = await db.Set<Mailbox>().AsNoTracking().Where(m => mailboxId == null || m.Id == mailboxId)
            .Select(m => new { m.Id, m.Name, m.IncomingEnabled }).ToListAsync(cancellationToken);
        var ids = mailboxes.Select(m => m.Id).ToList();
        var credentials = (await db.Set<MailboxCredential>().AsNoTracking().Where(c => ids.Contains(c.MailboxId) && c.Instance == here).ToListAsync(cancellationToken))
            .ToDictionary(c => c.MailboxId);
        var credentialIds = credentials.Values.Select(c => c.Id).ToList();
        // One read of the folders' sync states: the last full read, and the last resync with its note.
        var states = (await db.Set<MailboxSyncState>().AsNoTracking().Where(s => credentialIds.Contains(s.CredentialId))
                .Select(s => new { s.CredentialId, s.LastSuccessAt, s.LastResyncAt, s.LastResyncNote }).ToListAsync(cancellationToken))
            .ToLookup(s => s.CredentialId);
        var reads = states.Where(g => g.Any(s => s.LastSuccessAt != null)).ToDictionary(g => g.Key, g => g.Max(s => s.LastSuccessAt));
        var resyncs = states.Where(g => g.Any(s => s.LastResyncAt != null))
            .ToDictionary(g => g.Key, g => g.Where(s => s.LastResyncAt != null).OrderByDescending(s => s.LastResyncAt).First());
        var subscriptions = (await db.Set<GraphSubscription>().AsNoTracking()
                .Where(s => credentialIds.Contains(s.CredentialId) && s.Status != Subscriptions.SubscriptionStatus.Cancelled)
                .Select(s => new { s.CredentialId, s.ExpiresAt, s.Status, s.Id }).ToListAsync(cancellationToken))
            .GroupBy(s => s.CredentialId).ToDictionary(g => g.Key, g => g.OrderByDescending(s => s.Id).First());
        var backlog = await db.Set<InboundEmail>().AsNoTracking()
            .Where(e => ids.Contains(e.MailboxId) && (e.Status == InboundStatus.Pending || e.Status == InboundStatus.Processing))
            .GroupBy(e => new { e.MailboxId, e.Status }).Select(g => new { g.Key.MailboxId, g.Key.Status, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var waits = (await db.Set<InboundEmail>().AsNoTracking()
                .Where(e => ids.Contains(e.MailboxId) && e.Stage != InboundStage.Done && e.Status != InboundStatus.Failed && e.ErrorCode == "ApplicationThrottled" && e.NextAttemptAt != null)
                .Select(e => new { e.MailboxId, e.NextAttemptAt }).ToListAsync(cancellationToken))
            .Where(e => e.NextAttemptAt > now)
            .GroupBy(e => e.MailboxId).ToDictionary(g => g.Key, g => g.Max(e => e.NextAttemptAt));

        return mailboxes.OrderBy(m => m.Name, StringComparer.OrdinalIgnoreCase).Select(m =>
        {
            credentials.TryGetValue(m.Id, out var c);
            var connected = c is { DisconnectedAt: null, TargetAddress: not null } && c.Status != CredentialStatus.NotConnected;
            var subscription = c is not null && subscriptions.TryGetValue(c.Id, out var s) ? s : null;
            var resync = c is not null && resyncs.TryGetValue(c.Id, out var r) ? r : null;
            // The latest of: this node's last 429, any node's last 429 (stored on the credential), an email waiting out its throttling.
            var throttled = Latest(c is null ? null : graph.ThrottledUntil(c), c?.ThrottledUntil is { } stored && stored > now ? stored : null);
            throttled = Latest(throttled, waits.TryGetValue(m.Id, out var wait) ? wait : null);

            return new MailboxHealthView(
                m.Id,
                m.Name,
                m.IncomingEnabled,
                connected,
                c?.ConnectedAddress ?? c?.TargetAddress,
                c?.Status,
                c?.ProcessingMethod,
                c is not null && reads.TryGetValue(c.Id, out var read) ? read : null,
                c?.LastErrorCode is { } code ? new MailboxHealthError(code, c.LastErrorMessage ?? code, c.LastErrorAt) : null,
                throttled,
                backlog.Where(b => b.MailboxId == m.Id && b.Status == InboundStatus.Pending).Sum(b => b.Count),
                backlog.Where(b => b.MailboxId == m.Id && b.Status == InboundStatus.Processing).Sum(b => b.Count),
                subscription?.ExpiresAt,
                subscription?.Status,
                c?.CredentialType switch
                {
                    Credentials.CredentialType.ClientSecret => c.SecretExpiresAt,
                    Credentials.CredentialType.Certificate => c.CertificateExpiresAt,
                    _ => null,
                },
                c?.CredentialType,
                resync?.LastResyncAt,
                resync?.LastResyncNote,
                c?.LastWebhookReadAt);
        }).ToList();
    }

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null || b > a ? b : a;
}
