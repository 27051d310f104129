using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Nodes;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.BackendServices;

/// <summary>The state of the backend services (Configuration &gt; Advanced &gt; Backend Services).</summary>
/// <param name="IncomingServiceEnabled">Off: no mailbox is read, no webhook is processed (notifications are still stored).</param>
/// <param name="SchedulingServiceEnabled">Off: no scheduled job runs (scans, renewals, contact syncs).</param>
public sealed record BackendServiceState(bool IncomingServiceEnabled, bool SchedulingServiceEnabled)
{
    /// <summary>Mail is ingested only while both services run.</summary>
    public bool IngestionRunning => IncomingServiceEnabled && SchedulingServiceEnabled;
}

public interface IBackendServices
{
    Task<BackendServiceState> GetAsync(CancellationToken cancellationToken = default);

    Task<BackendServiceState> UpdateAsync(BackendServiceState state, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Raised after the switches change, so screens and the scheduler react at once.</summary>
    event Action<BackendServiceState>? Changed;
}

internal sealed class BackendServicesStore(IDbContextFactory<PortalDbContext> contexts, IChangeFeed feed, TimeProvider time) : IBackendServices, IChangeTopic
{
    private const string Topic = "backend-services";

    public event Action<BackendServiceState>? Changed;

    string IChangeTopic.Topic => Topic;

    /// <summary>Another node switched a service: the state is read back from the database, which has the last word.</summary>
    async Task IChangeTopic.ApplyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        Changed?.Invoke(await GetAsync(cancellationToken));

    public async Task<BackendServiceState> GetAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<BackendServiceSettings>().AsNoTracking().SingleOrDefaultAsync(cancellationToken) ?? new BackendServiceSettings();
        return new BackendServiceState(row.IncomingServiceEnabled, row.SchedulingServiceEnabled);
    }

    public async Task<BackendServiceState> UpdateAsync(BackendServiceState state, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<BackendServiceSettings>().SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            row = new BackendServiceSettings();
            db.Add(row);
        }

        var before = new BackendServiceState(row.IncomingServiceEnabled, row.SchedulingServiceEnabled);
        if (before == state)
        {
            return state;
        }

        row.IncomingServiceEnabled = state.IncomingServiceEnabled;
        row.SchedulingServiceEnabled = state.SchedulingServiceEnabled;
        row.UpdatedAt = time.GetUtcNow();
        row.UpdatedBy = actor.ToString();
        db.Audit(time, actor, "BackendServices.Updated", "BackendServices", null, before, state);
        await db.SaveChangesAsync(cancellationToken);
        feed.Publish(Topic, "");
        Changed?.Invoke(state);
        return state;
    }
}
