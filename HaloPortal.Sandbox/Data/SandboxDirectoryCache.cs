using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Sandbox.Data;

/// <summary>
/// The read-mostly directory facts every Graph request needs (the user its path names, the app's access policies, Full Access
/// delegations), kept in memory so a request does not open the database for them. Users are never changed or deleted once
/// created, so found users are kept; nothing missing is remembered (a user created later is found at once). Every write to
/// these tables goes through the control service, which calls <see cref="Changed"/>.
/// </summary>
internal sealed class SandboxDirectoryCache(IDbContextFactory<SandboxDbContext> contexts)
{
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(Guid Tenant, string Key), SbUser> _users = new();
    private readonly ConcurrentDictionary<(Guid Tenant, Guid App), SbAccessPolicy[]> _policies = new();
    private readonly ConcurrentDictionary<(Guid Mailbox, Guid Delegate), bool> _delegates = new();
    private long _version;

    /// <summary>A user of a tenant by object id, UPN or mail address, as <see cref="SandboxQueries.FindUserAsync"/> finds it.</summary>
    public async Task<SbUser?> FindUserAsync(Guid tenantId, string idOrUpn, CancellationToken ct)
    {
        if (_users.TryGetValue((tenantId, idOrUpn), out var cached))
        {
            return cached;
        }

        var version = Volatile.Read(ref _version);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var user = await db.FindUserAsync(tenantId, idOrUpn, ct);
        if (user is not null)
        {
            Remember(_users, (tenantId, idOrUpn), user, version);
        }

        return user;
    }

    /// <summary>The application access policies of an app (empty: the app may use every mailbox its permissions allow).</summary>
    public async Task<SbAccessPolicy[]> AccessPoliciesAsync(Guid tenantId, Guid appId, CancellationToken ct)
    {
        if (_policies.TryGetValue((tenantId, appId), out var cached))
        {
            return cached;
        }

        var version = Volatile.Read(ref _version);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var policies = await db.AccessPolicies.AsNoTracking().Where(p => p.TenantId == tenantId && p.AppId == appId).ToArrayAsync(ct);
        Remember(_policies, (tenantId, appId), policies, version);
        return policies;
    }

    /// <summary>Whether a user holds Full Access to a mailbox.</summary>
    public async Task<bool> IsDelegateAsync(Guid mailboxId, Guid delegateId, CancellationToken ct)
    {
        if (_delegates.TryGetValue((mailboxId, delegateId), out var cached))
        {
            return cached;
        }

        var version = Volatile.Read(ref _version);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var isDelegate = await db.Delegates.AnyAsync(d => d.MailboxId == mailboxId && d.DelegateId == delegateId, ct);
        Remember(_delegates, (mailboxId, delegateId), isDelegate, version);
        return isDelegate;
    }

    /// <summary>Forgets everything; call after a write to users, delegates or access policies.</summary>
    public void Changed()
    {
        Interlocked.Increment(ref _version);
        _users.Clear();
        _policies.Clear();
        _delegates.Clear();
    }

    /// <summary>Keeps a value read at <paramref name="version"/> unless a change happened meanwhile (it may predate the change).</summary>
    private void Remember<TKey, TValue>(ConcurrentDictionary<TKey, TValue> cache, TKey key, TValue value, long version)
        where TKey : notnull
    {
        if (cache.Count >= MaxEntries)
        {
            cache.Clear();
        }

        cache[key] = value;
        if (Volatile.Read(ref _version) != version)
        {
            cache.TryRemove(key, out _);
        }
    }
}
