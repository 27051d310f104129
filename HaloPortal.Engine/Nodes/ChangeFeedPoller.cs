using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Nodes;

/// <summary>
/// The reading half of the change feed: every <see cref="NodeOptions.ChangePollMilliseconds"/> it reads the rows after the last
/// one seen, skips this process's own, and hands each topic its keys (<see cref="IChangeTopic"/>), which raise the local events
/// open screens listen to. It starts at the newest row (what happened before the start is already in what screens load), and
/// deletes rows older than <see cref="Retention"/> in bounded batches.
/// </summary>
/// <remarks>
/// Ids are taken in insert order but, on PostgreSQL, committed in any order: a row can appear below the last id seen. A hole
/// in the ids is therefore read again for <see cref="GapWait"/> before it is given up (a rolled-back insert leaves one for good).
/// </remarks>
internal sealed class ChangeFeedPoller(
    IDbContextFactory<PortalDbContext> contexts,
    NodeRegistry nodes,
    IServiceProvider services,
    IOptions<NodeOptions> options,
    TimeProvider time,
    ILogger<ChangeFeedPoller> logger) : BackgroundService, IStartupTask
{
    internal static readonly TimeSpan Retention = TimeSpan.FromMinutes(5);
    internal static readonly TimeSpan GapWait = TimeSpan.FromSeconds(10);
    internal const int PageSize = 500;
    internal const int PurgeBatch = 1000;
    private const int MaxGaps = 1000;
    private const int MaxPagesPerPoll = 20;
    private const int MaxPurgeBatches = 20;
    private static readonly TimeSpan PurgeEvery = TimeSpan.FromMinutes(1);
    private readonly Dictionary<long, DateTimeOffset> _gaps = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _last;
    private Dictionary<string, IChangeTopic>? _topics;
    private bool _failing;

    public int Order => 51; // after the node registered itself

    /// <summary>The last row id this node has read.</summary>
    internal long Last => Volatile.Read(ref _last);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Volatile.Write(ref _last, await db.Set<ChangeEvent>().MaxAsync(c => (long?)c.Id, cancellationToken) ?? 0);
    }

    /// <summary>Reads what other nodes published since the last poll and raises it here; returns how many changes were raised.</summary>
    public async Task<int> PollAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var raised = 0;
            for (var page = 0; page < MaxPagesPerPoll; page++)
            {
                var (rows, full) = await ReadAsync(cancellationToken);
                raised += await RaiseAsync(rows, cancellationToken);
                if (!full)
                {
                    break;
                }
            }

            return raised;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<(List<ChangeEvent> Rows, bool Full)> ReadAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var expired in _gaps.Where(g => g.Value <= now).Select(g => g.Key).ToList())
        {
            _gaps.Remove(expired);
        }

        var last = _last;
        var gaps = _gaps.Keys.ToList();
        List<ChangeEvent> rows;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var query = db.Set<ChangeEvent>().AsNoTracking();
            query = gaps.Count == 0 ? query.Where(c => c.Id > last) : query.Where(c => c.Id > last || gaps.Contains(c.Id));
            rows = await query.OrderBy(c => c.Id).Take(PageSize).ToListAsync(cancellationToken);
        }

        foreach (var row in rows)
        {
            if (row.Id <= last)
            {
                _gaps.Remove(row.Id); // a late commit filled the hole
                continue;
            }

            for (var missing = last + 1; missing < row.Id && _gaps.Count < MaxGaps; missing++)
            {
                _gaps[missing] = now + GapWait;
            }

            last = row.Id;
        }

        Volatile.Write(ref _last, last);
        return (rows, rows.Count == PageSize);
    }

    private async Task<int> RaiseAsync(List<ChangeEvent> rows, CancellationToken cancellationToken)
    {
        var me = nodes.InstanceId;
        var theirs = rows.Where(r => r.Instance != me).ToList();
        if (theirs.Count == 0)
        {
            return 0;
        }

        // Resolved at the first poll, not in the constructor: the topics are the features' services, built after the start-up tasks need this one.
        _topics ??= services.GetServices<IChangeTopic>().ToDictionary(t => t.Topic, StringComparer.Ordinal);
        var raised = 0;
        foreach (var group in theirs.GroupBy(r => r.Topic, StringComparer.Ordinal))
        {
            if (!_topics.TryGetValue(group.Key, out var topic))
            {
                logger.LogDebug("Change feed topic {Topic} has no subscriber on this node (a newer node's topic?)", group.Key);
                continue;
            }

            var keys = group.Select(r => r.Key).Distinct(StringComparer.Ordinal).ToList();
            try
            {
                await topic.ApplyAsync(keys, cancellationToken);
                raised += keys.Count;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Raising {Count} change(s) of topic {Topic} from other nodes failed", keys.Count, group.Key);
            }
        }

        return raised;
    }

    /// <summary>Deletes the rows older than <see cref="Retention"/>, at most <see cref="PurgeBatch"/> per statement; returns how many.</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow() - Retention;
        var deleted = 0;
        for (var batch = 0; batch < MaxPurgeBatches; batch++)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var count = await db.Set<ChangeEvent>().Where(c => c.At < before).OrderBy(c => c.Id).Take(PurgeBatch).ExecuteDeleteAsync(cancellationToken);
            deleted += count;
            if (count < PurgeBatch)
            {
                break;
            }
        }

        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastPurge = DateTimeOffset.MinValue;
        try
        {
            // One delay per poll, not a PeriodicTimer: a clock that jumps (a test's fake clock moved by days, a VM resumed) makes one
            // poll, not one per period missed; a PeriodicTimer fed by a fake clock that jumped days kept a full-host test busy for minutes.
            var period = TimeSpan.FromMilliseconds(options.Value.ChangePollMilliseconds);
            while (true)
            {
                await Task.Delay(period, time, stoppingToken);
                try
                {
                    await PollAsync(stoppingToken);
                    if (time.GetUtcNow() - lastPurge >= PurgeEvery)
                    {
                        lastPurge = time.GetUtcNow();
                        await PurgeAsync(stoppingToken);
                    }

                    if (_failing)
                    {
                        _failing = false;
                        logger.LogInformation("Reading the change feed works again");
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Once per outage, not every second: screens here miss other nodes' changes until it recovers.
                    if (!_failing)
                    {
                        _failing = true;
                        logger.LogWarning(ex, "Reading the change feed failed; screens on node {Node} miss other nodes' changes until it works again", nodes.Name);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }
}
