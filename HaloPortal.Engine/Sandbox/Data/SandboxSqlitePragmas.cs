using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace HaloPortal.Engine.Sandbox.Data;

/// <summary>
/// The sandbox database (WAL, set at start-up) with NORMAL sync on every connection: no fsync per commit. With the default
/// FULL sync, mail delivery, moves and notification bookkeeping queued behind disk flushes for seconds under load.
/// </summary>
internal sealed class SandboxSqlitePragmas : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=15000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
