using System.Globalization;
using System.Threading.Channels;
using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Nodes;

/// <summary>
/// Tells the other portal nodes that something changed here, so their open screens refresh too. A feature publishes where it
/// raises its own in-process event; it never publishes what it received from the feed (that would echo between nodes).
/// </summary>
internal interface IChangeFeed
{
    /// <summary>Queues (<paramref name="topic"/>, <paramref name="key"/>); returns at once, the write is batched in the background.</summary>
    void Publish(string topic, string key);
}

/// <summary>
/// A feature's topic on the change feed: the feed hands it what other nodes published, and the feature raises its local event
/// (the one screens subscribe to) without publishing again. The feed owns this interface so that it depends on no feature.
/// </summary>
internal interface IChangeTopic
{
    /// <summary>At most 32 characters, unique among the topics.</summary>
    string Topic { get; }

    /// <summary>The distinct keys other nodes published since the last poll, oldest first.</summary>
    Task ApplyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);
}

/// <summary>Keys of the change feed for integer ids.</summary>
internal static class ChangeKeys
{
    public static string Of(int id) => id.ToString(CultureInfo.InvariantCulture);

    public static IEnumerable<int> Ints(IEnumerable<string> keys) =>
        keys.Select(k => int.TryParse(k, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id : (int?)null).OfType<int>();
}

/// <summary>
/// The publishing half of the change feed: changes are coalesced in memory (a key published ten times in a burst is one row)
/// and written in one insert at most every <see cref="Window"/>, off the caller's path, so ingestion never waits on it.
/// </summary>
internal sealed class ChangeFeed(IDbContextFactory<PortalDbContext> contexts, NodeRegistry nodes, TimeProvider time, ILogger<ChangeFeed> logger)
    : BackgroundService, IChangeFeed
{
    /// <summary>The most distinct changes held while the database does not take them; past it new ones are dropped (screens elsewhere miss a refresh, nothing else).</summary>
    internal const int MaxPending = 10_000;

    internal static readonly TimeSpan Window = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);
    private readonly Lock _lock = new();
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private List<(string Topic, string Key)> _pending = [];
    private HashSet<(string Topic, string Key)> _queued = [];
    private bool _dropping;

    public void Publish(string topic, string key)
    {
        lock (_lock)
        {
            if (_queued.Count >= MaxPending)
            {
                _dropping = true;
                return;
            }

            if (_queued.Add((topic, key)))
            {
                _pending.Add((topic, key));
            }
        }

        _signal.Writer.TryWrite(true);
    }

    /// <summary>Writes what is queued in one insert; returns how many rows. On failure the changes stay queued for the next try.</summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        List<(string Topic, string Key)> batch;
        bool dropped;
        lock (_lock)
        {
            if (_pending.Count == 0)
            {
                return 0;
            }

            (batch, _pending, _queued, dropped, _dropping) = (_pending, [], [], _dropping, false);
        }

        if (dropped)
        {
            logger.LogWarning("The change feed held {Max} unwritten changes and dropped newer ones: screens on other nodes may miss a refresh", MaxPending);
        }

        try
        {
            var (now, me) = (time.GetUtcNow(), nodes.InstanceId);
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            db.AddRange(batch.Select(c => new ChangeEvent { Topic = c.Topic, Key = c.Key, Instance = me, At = now }));
            await db.SaveChangesAsync(cancellationToken);
            return batch.Count;
        }
        catch
        {
            lock (_lock)
            {
                foreach (var change in batch.Where(c => _queued.Count < MaxPending && _queued.Add(c)))
                {
                    _pending.Add(change);
                }
            }

            throw;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _signal.Reader.WaitToReadAsync(stoppingToken))
            {
                _signal.Reader.TryRead(out _);
                // Coalesce a burst into one insert. Yield when the delay ends: its timer (a test's fake clock among them) must
                // never run the database write inline on the thread that fired it.
                await Task.Delay(Window, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
                try
                {
                    await FlushAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Writing the change feed failed; it tries again in {Seconds} s", RetryAfter.TotalSeconds);
                    await Task.Delay(RetryAfter, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
                    _signal.Writer.TryWrite(true);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await FlushAsync(cancellationToken); // the last changes of a stopping node still reach the others
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "The last changes of node {Node} could not be written to the change feed", nodes.Name);
        }
    }
}
