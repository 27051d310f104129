using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Tests.Infrastructure;

/// <summary>
/// A migrated portal database in a temporary SQLite file (no connection pooling, so the folder can be deleted afterwards), or
/// a fresh PostgreSQL database of its own when the tests run on PostgreSQL (<see cref="TestProvider"/>).
/// <see cref="Contexts"/> gives short-lived contexts like the engine's factory; <see cref="ConnectionString"/> lets a real engine use the same file.
/// </summary>
public sealed class TestDatabase : IDisposable
{
    private TestDatabase(string directory)
    {
        Directory = directory;
        ConnectionString = TestProvider.ConnectionString(directory, pooling: false);
        Contexts = new Factory(TestProvider.IsPostgreSql
            ? PortalDatabase.Configure(new DbContextOptionsBuilder<PortalDbContext>(), DatabaseProvider.PostgreSql, ConnectionString).Options
            : new DbContextOptionsBuilder<PortalDbContext>()
                .UseSqlite(ConnectionString, sqlite => sqlite.MigrationsHistoryTable(PortalDatabase.MigrationsHistoryTable))
                .Options);
    }

    /// <summary>The temporary folder holding the database (and any other embedded files of the test).</summary>
    public string Directory { get; }

    public string ConnectionString { get; }

    public IDbContextFactory<PortalDbContext> Contexts { get; }

    /// <summary>Creates the file and applies every committed migration.</summary>
    public static TestDatabase Create()
    {
        var directory = Path.Combine(Path.GetTempPath(), "haloportal-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var database = new TestDatabase(directory);
        using var db = database.Contexts.CreateDbContext();
        db.Database.Migrate();
        return database;
    }

    public void Dispose()
    {
        TestProvider.Drop(Directory);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
            if (System.IO.Directory.Exists(Directory + "-keys"))
            {
                System.IO.Directory.Delete(Directory + "-keys", recursive: true);
            }
        }
        catch (IOException)
        {
            // A file still held open is left for the OS temp cleaner.
        }
    }

    private sealed class Factory(DbContextOptions<PortalDbContext> options) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => new(options);
    }
}
