using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Data;

/// <summary>
/// The one place a <see cref="PortalDbContext"/> is pointed at its provider, shared by the engine, the design-time factory
/// and the tests. SQLite keeps its migrations in this assembly; PostgreSQL's live in <see cref="PostgreSqlMigrationsAssembly"/>.
/// Both sets are kept in step: every model change adds a migration to each.
/// </summary>
public static class PortalDatabase
{
    /// <summary>The assembly that holds the PostgreSQL migrations (referenced by the web host, so it ships beside the engine).</summary>
    public const string PostgreSqlMigrationsAssembly = "HaloPortal.Engine.PostgreSql";

    /// <summary>The migrations history table, the same name on both providers.</summary>
    public const string MigrationsHistoryTable = "__migrations";

    /// <summary>Configures <paramref name="options"/> for <paramref name="provider"/>; the provider's own interceptors are added here too.</summary>
    public static DbContextOptionsBuilder<PortalDbContext> Configure(DbContextOptionsBuilder<PortalDbContext> options, DatabaseProvider provider, string connectionString)
    {
        Configure((DbContextOptionsBuilder)options, provider, connectionString);
        return options;
    }

    /// <inheritdoc cref="Configure(DbContextOptionsBuilder{PortalDbContext}, DatabaseProvider, string)"/>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, DatabaseProvider provider, string connectionString)
    {
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                options.UseSqlite(connectionString, sqlite => sqlite.MigrationsHistoryTable(MigrationsHistoryTable)).AddInterceptors(new SqlitePragmas());
                break;
            case DatabaseProvider.PostgreSql:
                options.UseNpgsql(connectionString, npgsql => npgsql
                    .MigrationsAssembly(PostgreSqlMigrationsAssembly)
                    .MigrationsHistoryTable(MigrationsHistoryTable))
                    .AddInterceptors(new PostgreSqlTextScrubber());
                break;
            default:
                throw new InvalidOperationException($"Portal:Database:Provider '{provider}' is not known; use Sqlite or PostgreSql.");
        }

        return options;
    }
}
