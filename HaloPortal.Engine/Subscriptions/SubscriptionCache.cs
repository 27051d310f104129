using System.Collections.Concurrent;
using System.Text;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Identity;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Subscriptions;

/// <summary>What the acknowledgement path needs to know about a subscription, decrypted once.</summary>
internal sealed record CachedSubscription(int Id, string GraphId, int CredentialId, int MailboxId, byte[] ClientState, SubscriptionStatus Status);

/// <summary>
/// Subscriptions by Graph id, in memory, so acknowledging a notification needs no database read for the lookup. Every
/// change made through <see cref="ISubscriptions"/> updates it; a miss (another node created it) falls back to the database.
/// </summary>
internal sealed class SubscriptionCache
{
    private readonly IDbContextFactory<PortalDbContext> _contexts;
    private readonly ICredentialSecrets _secrets;
    private readonly ConcurrentDictionary<string, CachedSubscription> _byGraphId = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _loadGate = new(1, 1);
    private volatile bool _loaded;

    public SubscriptionCache(IDbContextFactory<PortalDbContext> contexts, ICredentialSecrets secrets, Mailboxes.IMailboxes mailboxes)
    {
        _contexts = contexts;
        _secrets = secrets;
        // A credential deleted or a mailbox removed takes its subscriptions with it: reload on the next lookup.
        mailboxes.Changed += _ => _loaded = false;
    }

    public async ValueTask<CachedSubscription?> FindAsync(string graphId, CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            await LoadAsync(cancellationToken);
        }

        if (_byGraphId.TryGetValue(graphId, out var hit))
        {
            return hit;
        }

        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var row = await Query(db, graphId).SingleOrDefaultAsync(cancellationToken);
        return row is null ? null : Put(row.Subscription, row.MailboxId);
    }

    public CachedSubscription Put(GraphSubscription subscription, int mailboxId)
    {
        var entry = new CachedSubscription(subscription.Id, subscription.GraphSubscriptionId, subscription.CredentialId, mailboxId,
            Encoding.UTF8.GetBytes(_secrets.Unprotect(subscription.ClientStateProtected)), subscription.Status);
        _byGraphId[subscription.GraphSubscriptionId] = entry;
        return entry;
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        await _loadGate.WaitAsync(cancellationToken);
        try
        {
            if (_loaded)
            {
                return;
            }

            await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
            var rows = await Query(db, null).ToListAsync(cancellationToken);
            foreach (var stale in _byGraphId.Keys.Except(rows.Select(r => r.Subscription.GraphSubscriptionId), StringComparer.OrdinalIgnoreCase).ToList())
            {
                _byGraphId.TryRemove(stale, out _);
            }

            foreach (var row in rows)
            {
                try
                {
                    Put(row.Subscription, row.MailboxId);
                }
                catch (InvalidOperationException)
                {
                    // The clientState no longer decrypts (Data Protection keys changed): its notifications are rejected.
                }
            }

            _loaded = true;
        }
        finally
        {
            _loadGate.Release();
        }
    }

    private static IQueryable<Row> Query(PortalDbContext db, string? graphId) =>
        from s in db.Set<GraphSubscription>().AsNoTracking().Where(s => graphId == null || s.GraphSubscriptionId == graphId)
        join c in db.Set<MailboxCredential>() on s.CredentialId equals c.Id
        select new Row(s, c.MailboxId);

    private sealed record Row(GraphSubscription Subscription, int MailboxId);
}
