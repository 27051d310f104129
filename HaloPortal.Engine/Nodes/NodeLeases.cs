using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Nodes;

/// <summary>
/// Leases in the database: at most one node works a key (e.g. a mailbox's scan) at a time. A lease is taken by one atomic
/// conditional UPDATE (or an INSERT for a new key, where the unique key settles a race), renewed while the work runs and
/// released at its end; a dead node's lease expires (or its holder is seen dead) and the next node takes it.
/// </summary>
internal sealed class NodeLeases(IDbContextFactory<PortalDbContext> contexts, NodeRegistry nodes, TimeProvider time, ILogger<NodeLeases> logger)
{
    /// <summary>Takes the lease of <paramref name="kind"/>/<paramref name="key"/> for this node, or returns null when another live node holds it.</summary>
    public async Task<NodeLeaseHandle?> TryAcquireAsync(string kind, string key, CancellationToken cancellationToken)
    {
        if (!await TryTakeAsync(kind, key, cancellationToken))
        {
            return null;
        }

        return new NodeLeaseHandle(this, kind, key, nodes.LeaseTime, time);
    }

    /// <summary>The node holding the lease now, or null when it is free.</summary>
    public async Task<string?> HolderAsync(string kind, string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var live = nodes.LiveInstances(db, now);
        return await db.Set<NodeLease>().Where(l => l.Kind == kind && l.Key == key && l.ExpiresAt > now && live.Contains(l.HolderInstance))
            .Select(l => l.HolderNode).SingleOrDefaultAsync(cancellationToken);
    }

    private async Task<bool> TryTakeAsync(string kind, string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var until = now + nodes.LeaseTime;
        var me = nodes.InstanceId;
        var name = nodes.Name;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var live = nodes.LiveInstances(db, now);
        var taken = await db.Set<NodeLease>()
            .Where(l => l.Kind == kind && l.Key == key && (l.HolderInstance == me || l.ExpiresAt <= now || l.HolderNode == name || !live.Contains(l.HolderInstance)))
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.HolderInstance, me).SetProperty(l => l.HolderNode, name)
                .SetProperty(l => l.AcquiredAt, now).SetProperty(l => l.ExpiresAt, until), cancellationToken);
        if (taken == 1)
        {
            return true;
        }

        if (await db.Set<NodeLease>().AnyAsync(l => l.Kind == kind && l.Key == key, cancellationToken))
        {
            return false;
        }

        db.Add(new NodeLease { Kind = kind, Key = key, HolderInstance = me, HolderNode = name, AcquiredAt = now, ExpiresAt = until });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            // Another node inserted the key first: the primary key let exactly one of us in.
            return false;
        }
    }

    /// <summary>Extends this node's lease; false when it was lost (expired and taken by another node).</summary>
    internal async Task<bool> RenewAsync(string kind, string key, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + nodes.LeaseTime;
        var me = nodes.InstanceId;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<NodeLease>().Where(l => l.Kind == kind && l.Key == key && l.HolderInstance == me)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, until), cancellationToken) == 1;
    }

    internal async Task ReleaseAsync(string kind, string key)
    {
        var now = time.GetUtcNow();
        var me = nodes.InstanceId;
        try
        {
            await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
            await db.Set<NodeLease>().Where(l => l.Kind == kind && l.Key == key && l.HolderInstance == me)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, now), CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The lease expires by itself; the next node waits at most its lifetime.
            logger.LogWarning(ex, "Releasing lease {Kind}/{Key} failed; it expires by itself", kind, key);
        }
    }

    internal void LogLost(string kind, string key) =>
        logger.LogWarning("Lease {Kind}/{Key} was lost (not renewed in time and taken by another node): this node stops that work", kind, key);
}

/// <summary>A held lease: renewed in the background every third of its lifetime; <see cref="Lost"/> is cancelled if a renewal finds it gone.</summary>
internal sealed class NodeLeaseHandle : IAsyncDisposable
{
    private readonly NodeLeases _leases;
    private readonly string _kind;
    private readonly string _key;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _lost = new();
    private readonly Task _renewal;

    internal NodeLeaseHandle(NodeLeases leases, string kind, string key, TimeSpan lifetime, TimeProvider time)
    {
        _leases = leases;
        _kind = kind;
        _key = key;
        _renewal = RenewLoopAsync(lifetime / 3, time);
    }

    /// <summary>Cancelled when the lease was lost: the work it guards must stop.</summary>
    public CancellationToken Lost => _lost.Token;

    private async Task RenewLoopAsync(TimeSpan every, TimeProvider time)
    {
        try
        {
            while (true)
            {
                await Task.Delay(every, time, _stop.Token);
                bool renewed;
                try
                {
                    renewed = await _leases.RenewAsync(_kind, _key, _stop.Token);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    continue; // the next renewal tries again before the lease runs out
                }

                if (!renewed)
                {
                    _leases.LogLost(_kind, _key);
                    await _lost.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _renewal;
        await _leases.ReleaseAsync(_kind, _key);
        _stop.Dispose();
        _lost.Dispose();
    }
}
