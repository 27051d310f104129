using Hangfire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Portal;

/// <summary>
/// Keeps one recurring Hangfire job per id of a set the engine decides (a credential to scan, a mailbox whose contacts sync):
/// synced at start-up and again whenever something that may change the set is raised. The jobs are triggers only; what is
/// due is decided by the engine from the database when they fire.
/// </summary>
internal abstract class RecurringJobSet(IRecurringJobManager recurring, ILogger logger) : IHostedService
{
    private readonly HashSet<int> _registered = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The recurring job ids are this prefix and the id.</summary>
    protected abstract string Prefix { get; }

    /// <summary>The ids that should have a job now.</summary>
    protected abstract Task<IReadOnlyCollection<int>> WantedAsync(CancellationToken cancellationToken);

    /// <summary>Adds (or updates) the job of one id.</summary>
    protected abstract void Register(IRecurringJobManager jobs, string jobId, int id);

    /// <summary>Subscribes <paramref name="changed"/> to the events after which the set may differ (or unsubscribes it).</summary>
    protected abstract void Watch(Action<int> changed, bool subscribe);

    public virtual async Task StartAsync(CancellationToken cancellationToken)
    {
        await SyncAsync(cancellationToken);
        Watch(OnChanged, subscribe: true);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Watch(OnChanged, subscribe: false);
        return Task.CompletedTask;
    }

    private void OnChanged(int id) => _ = Task.Run(async () =>
    {
        try
        {
            await SyncAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not update the recurring jobs {Prefix}* after {Id} changed", Prefix, id);
        }
    });

    internal async Task SyncAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var wanted = (await WantedAsync(cancellationToken)).ToHashSet();
            foreach (var id in wanted.Where(id => !_registered.Contains(id)))
            {
                Register(recurring, Prefix + id, id);
                _registered.Add(id);
            }

            foreach (var stale in _registered.Where(id => !wanted.Contains(id)).ToList())
            {
                recurring.RemoveIfExists(Prefix + stale);
                _registered.Remove(stale);
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
