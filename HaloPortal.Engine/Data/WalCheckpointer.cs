using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Data;

/// <summary>
/// Checkpoints the SQLite write-ahead log beside a hot writer. A writer that turns automatic checkpoints off for its own
/// connection (so an acknowledgement never waits for the disk) reports what it wrote; every second with writes, this runs a
/// PASSIVE checkpoint, which never blocks the writer. Does nothing on other providers.
/// </summary>
internal sealed class WalCheckpointer(IDbContextFactory<PortalDbContext> contexts, TimeProvider time, ILogger<WalCheckpointer> logger) : BackgroundService
{
    private int _writtenSinceCheckpoint;

    /// <summary>Rows written with automatic checkpoints off since the last checkpoint.</summary>
    public void Written(int rows) => Interlocked.Add(ref _writtenSinceCheckpoint, rows);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (Interlocked.Exchange(ref _writtenSinceCheckpoint, 0) == 0)
                {
                    continue;
                }

                try
                {
                    await using var db = await contexts.CreateDbContextAsync(stoppingToken);
                    if (db.Database.IsSqlite())
                    {
                        await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(PASSIVE);", stoppingToken);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogDebug(ex, "WAL checkpoint skipped");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
