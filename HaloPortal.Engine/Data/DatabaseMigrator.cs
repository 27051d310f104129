using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Data;

/// <summary>Applies committed migrations before anything else starts, then runs the registered start-up tasks in order.</summary>
internal sealed class DatabaseMigrator(
    IDbContextFactory<PortalDbContext> contexts,
    IOptions<DataOptions> options,
    IEnumerable<IStartupTask> startupTasks,
    ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
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
}

/// <summary>Work that must run once at start-up after the database is migrated (seeding, sweeps). Lower <see cref="Order"/> runs first.</summary>
public interface IStartupTask
{
    int Order { get; }

    Task RunAsync(CancellationToken cancellationToken);
}
