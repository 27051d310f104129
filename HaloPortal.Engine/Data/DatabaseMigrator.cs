using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HaloPortal.Engine.Data;

/// <summary>
/// Applies committed migrations before anything else starts, then runs the registered start-up tasks in order. On PostgreSQL
/// several nodes may start at once on one database: each takes a session advisory lock first, so one node migrates and seeds
/// while the others wait, then find nothing left to do.
/// </summary>
internal sealed class DatabaseMigrator(
    IDbContextFactory<PortalDbContext> contexts,
    IOptions<DataOptions> options,
    IEnumerable<IStartupTask> startupTasks,
    ILogger<DatabaseMigrator> logger) : IHostedService
{
    /// <summary>The advisory lock key every node takes around migrating and seeding ("HaloPort" in ASCII).</summary>
    internal const long StartupLockKey = 0x48616C6F506F7274;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var startupLock = await AcquireStartupLockAsync(cancellationToken);
        if (options.Value.MigrateOnStartup)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                logger.LogInformation("Applying {Count} database migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
            }

            await db.Database.MigrateAsync(cancellationToken);
        }

        foreach (var task in startupTasks.OrderBy(t => t.Order))
        {
            await task.RunAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>On PostgreSQL, a connection holding <see cref="StartupLockKey"/>; nothing on SQLite (one process owns the file).</summary>
    private async Task<IAsyncDisposable> AcquireStartupLockAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Provider != DatabaseProvider.PostgreSql)
        {
            return NoLock.Instance;
        }

        string connectionString;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            connectionString = db.Database.GetConnectionString()!;
        }

        return await AdvisoryLock.AcquireAsync(connectionString, StartupLockKey, logger, cancellationToken);
    }

    private sealed class NoLock : IAsyncDisposable
    {
        public static readonly NoLock Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>A PostgreSQL session advisory lock, held by its own connection until disposed.</summary>
internal sealed class AdvisoryLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly long _key;

    private AdvisoryLock(NpgsqlConnection connection, long key)
    {
        _connection = connection;
        _key = key;
    }

    public static async Task<AdvisoryLock> AcquireAsync(string connectionString, long key, ILogger logger, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            tryLock.Parameters.AddWithValue("key", key);
            if (await tryLock.ExecuteScalarAsync(cancellationToken) is not true)
            {
                logger.LogInformation("Another node is migrating or seeding the database; waiting for it to finish");
                await using var waitLock = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection) { CommandTimeout = 0 };
                waitLock.Parameters.AddWithValue("key", key);
                await waitLock.ExecuteNonQueryAsync(cancellationToken);
            }

            return new AdvisoryLock(connection, key);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Explicitly: a pooled connection's session (and so its lock) would otherwise outlive the close.
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", _connection);
            unlock.Parameters.AddWithValue("key", _key);
            await unlock.ExecuteNonQueryAsync();
        }
        finally
        {
            await _connection.DisposeAsync();
        }
    }
}

/// <summary>Work that must run once at start-up after the database is migrated (seeding, sweeps). Lower <see cref="Order"/> runs first.</summary>
public interface IStartupTask
{
    int Order { get; }

    Task RunAsync(CancellationToken cancellationToken);
}
