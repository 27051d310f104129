using System.Collections.Concurrent;
using System.Text;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Subscriptions;

/// <summary>What the acknowledgement path needs to know about a subscription, decrypted once.</summary>
internal sealed record CachedSubscription(int Id, string GraphId, int CredentialId, int MailboxId, byte[] ClientState, SubscriptionStatus Status);

/// <summary>
/// Subscriptions by Graph id, in memory, so acknowledging a notification needs no database read for the lookup. Every
/// change made through <see cref="ISubscriptions"/> updates it; a miss (another node created it) falls back to the database,
/// once per batch for all its misses. An id the database does not know either is remembered as unknown for a while
/// (Portal:Webhooks:UnknownSubscriptionCacheSeconds, bounded in size), so a flood repeating ids costs no database read.
/// </summary>
internal sealed class SubscriptionCache
{
    private readonly IDbContextFactory<PortalDbContext> _contexts;
    private readonly ICredentialSecrets _secrets;
    private readonly ConcurrentDictionary<string, CachedSubscription> _byGraphId = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _loadGate = new(1, 1);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _unknownUntil = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;
    private readonly IOptions<WebhookOptions> _options;
    private volatile bool _loaded;
    private long _databaseLookups;

    /// <summary>The most ids remembered as unknown; past it the expired ones are dropped, and all of them if none has expired.</summary>
    internal const int MaxUnknown = 100_000;

    public SubscriptionCache(IDbContextFactory<PortalDbContext> contexts, ICredentialSecrets secrets, Mailboxes.IMailboxes mailboxes, TimeProvider time, IOptions<WebhookOptions> options)
    {
        _contexts = contexts;
        _secrets = secrets;
        _time = time;
        _options = options;
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

    /// <summary>Database reads made for ids not in memory (for tests and diagnostics).</summary>
    internal long DatabaseLookups => Interlocked.Read(ref _databaseLookups);

    /// <summary>Every id's subscription (null when unknown): memory first, then ONE database read for the ids neither cached nor remembered as unknown.</summary>
    public async Task<Dictionary<string, CachedSubscription?>> FindManyAsync(IEnumerable<string> graphIds, CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            await LoadAsync(cancellationToken);
        }

        var now = _time.GetUtcNow();
        var found = new Dictionary<string, CachedSubscription?>(StringComparer.OrdinalIgnoreCase);
        var misses = new List<string>();
        foreach (var id in graphIds)
        {
            if (found.ContainsKey(id))
            {
                continue;
            }

            if (_byGraphId.TryGetValue(id, out var hit))
            {
                found[id] = hit;
            }
            else
            {
                found[id] = null;
                if (!(_unknownUntil.TryGetValue(id, out var until) && until > now))
                {
                    misses.Add(id);
                }
            }
        }

        if (misses.Count == 0)
        {
            return found;
        }

        Interlocked.Increment(ref _databaseLookups);
        await using (var db = await _contexts.CreateDbContextAsync(cancellationToken))
        {
            var rows = await (
                    from s in db.Set<GraphSubscription>().AsNoTracking().Where(s => misses.Contains(s.GraphSubscriptionId))
                    join c in db.Set<MailboxCredential>() on s.CredentialId equals c.Id
                    select new Row(s, c.MailboxId))
                .ToListAsync(cancellationToken);
            foreach (var row in rows)
            {
                try
                {
                    found[row.Subscription.GraphSubscriptionId] = Put(row.Subscription, row.MailboxId);
                }
                catch (InvalidOperationException)
                {
                    // The clientState no longer decrypts (Data Protection keys changed): its notifications are rejected.
                }
            }
        }

        RememberUnknown(misses.Where(id => found[id] is null), now);
        return found;
    }

    private void RememberUnknown(IEnumerable<string> ids, DateTimeOffset now)
    {
        var until = now.AddSeconds(_options.Value.UnknownSubscriptionCacheSeconds);
        foreach (var id in ids)
        {
            if (_unknownUntil.Count >= MaxUnknown)
            {
                foreach (var (key, expiry) in _unknownUntil)
                {
                    if (expiry <= now)
                    {
                        _unknownUntil.TryRemove(key, out _);
                    }
                }

                if (_unknownUntil.Count >= MaxUnknown)
                {
                    _unknownUntil.Clear();
                }
            }

            _unknownUntil[id] = until;
        }
    }

    public CachedSubscription Put(GraphSubscription subscription, int mailboxId)
    {
        var entry = new CachedSubscription(subscription.Id, subscription.GraphSubscriptionId, subscription.CredentialId, mailboxId,
            Encoding.UTF8.GetBytes(_secrets.Unprotect(subscription.ClientStateProtected)), subscription.Status);
        _byGraphId[subscription.GraphSubscriptionId] = entry;
        _unknownUntil.TryRemove(subscription.GraphSubscriptionId, out _);
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

            _unknownUntil.Clear();
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
