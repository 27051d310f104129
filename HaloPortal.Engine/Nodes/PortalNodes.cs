using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Nodes;

/// <summary>A portal process as the Monitoring screen lists it.</summary>
public sealed record PortalNodeView(string Name, string InstanceId, DateTimeOffset StartedAt, DateTimeOffset LastSeenAt, bool Alive, bool Current);

/// <summary>This node's identity, and the nodes sharing the database (alive = a heartbeat within <see cref="NodeOptions.AliveSeconds"/>).</summary>
public interface IPortalNodes
{
    /// <summary>This node's name (<c>Portal:Node:Name</c>, default the machine name).</summary>
    string Name { get; }

    /// <summary>This process's instance id, new at every start.</summary>
    string InstanceId { get; }

    /// <summary>How many nodes were alive at the last heartbeat (at least 1: this one).</summary>
    int LiveNodes { get; }

    /// <summary>The processes seen in the last day, newest first.</summary>
    Task<IReadOnlyList<PortalNodeView>> ListAsync(CancellationToken cancellationToken = default);
}

internal sealed class NodeRegistry(IDbContextFactory<PortalDbContext> contexts, IOptions<NodeOptions> options, TimeProvider time) : IPortalNodes
{
    private static readonly TimeSpan Forgotten = TimeSpan.FromDays(1);
    private int _liveNodes = 1;

    public string Name { get; } = string.IsNullOrWhiteSpace(options.Value.Name) ? Environment.MachineName : options.Value.Name.Trim();

    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    public int LiveNodes => Volatile.Read(ref _liveNodes);

    public TimeSpan LeaseTime => TimeSpan.FromSeconds(options.Value.LeaseSeconds);

    /// <summary>The instances alive at <paramref name="now"/>, as a subquery to compose into conditional updates.</summary>
    public IQueryable<string> LiveInstances(PortalDbContext db, DateTimeOffset now)
    {
        var since = now - TimeSpan.FromSeconds(options.Value.AliveSeconds);
        return db.Set<PortalNode>().Where(n => n.StoppedAt == null && n.LastSeenAt >= since).Select(n => n.InstanceId);
    }

    /// <summary>
    /// The rows this node may claim: unclaimed, claim expired, claimed by this process, by an earlier process of this node
    /// (same name: it restarted), or by a node that is no longer alive.
    /// </summary>
    public IQueryable<T> Claimable<T>(IQueryable<T> rows, PortalDbContext db, DateTimeOffset now)
        where T : class, IClaimable
    {
        var me = InstanceId;
        var name = Name;
        var live = LiveInstances(db, now);
        return rows.Where(r => r.ClaimedBy == null || r.ClaimExpiresAt == null || r.ClaimExpiresAt <= now || r.ClaimedBy == me || r.Node == name
                               || !live.Contains(r.ClaimedBy));
    }

    /// <summary>
    /// The rows a recovery may take over: unclaimed, or claimed by another process whose claim expired, that is an earlier
    /// process of this node (same name), or that is no longer alive. Never this process's own claims, nor a live node's.
    /// </summary>
    public IQueryable<T> Abandoned<T>(IQueryable<T> rows, PortalDbContext db, DateTimeOffset now)
        where T : class, IClaimable
    {
        var me = InstanceId;
        var name = Name;
        var live = LiveInstances(db, now);
        return rows.Where(r => r.ClaimedBy == null
                               || (r.ClaimedBy != me && (r.ClaimExpiresAt == null || r.ClaimExpiresAt <= now || r.Node == name || !live.Contains(r.ClaimedBy))));
    }

    /// <summary>Records that this node is alive (registers it on the first beat) and counts the live nodes.</summary>
    public async Task BeatAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var me = InstanceId;
        var updated = await db.Set<PortalNode>().Where(n => n.InstanceId == me)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.LastSeenAt, now).SetProperty(n => n.StoppedAt, (DateTimeOffset?)null), cancellationToken);
        if (updated == 0)
        {
            db.Add(new PortalNode { InstanceId = me, Name = Name, StartedAt = now, LastSeenAt = now });
            await db.SaveChangesAsync(cancellationToken);
            var forgotten = now - Forgotten;
            await db.Set<PortalNode>().Where(n => n.LastSeenAt < forgotten).ExecuteDeleteAsync(cancellationToken);
        }

        var live = await LiveInstances(db, now).CountAsync(cancellationToken);
        Volatile.Write(ref _liveNodes, Math.Max(1, live));
    }

    /// <summary>A clean stop frees this node's leases and claims at once instead of after the heartbeat timeout.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var me = InstanceId;
        await db.Set<PortalNode>().Where(n => n.InstanceId == me).ExecuteUpdateAsync(s => s.SetProperty(n => n.StoppedAt, now), cancellationToken);
    }

    public async Task<IReadOnlyList<PortalNodeView>> ListAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var since = now - TimeSpan.FromSeconds(options.Value.AliveSeconds);
        var forgotten = now - Forgotten;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var nodes = await db.Set<PortalNode>().AsNoTracking().Where(n => n.LastSeenAt >= forgotten)
            .OrderByDescending(n => n.LastSeenAt).ToListAsync(cancellationToken);
        return nodes.Select(n => new PortalNodeView(n.Name, n.InstanceId, n.StartedAt, n.LastSeenAt, n.StoppedAt is null && n.LastSeenAt >= since, n.InstanceId == InstanceId))
            .ToList();
    }
}
