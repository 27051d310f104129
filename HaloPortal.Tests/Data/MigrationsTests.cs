using HaloPortal.Engine.Data;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Logging.Abstractions;

namespace HaloPortal.Tests.Data;

/// <summary>
/// The two migration sets (SQLite in the engine, PostgreSQL in HaloPortal.Engine.PostgreSql) are kept in step: a model change
/// without a migration in either fails here. Comparing the model with each set's snapshot needs no database server.
/// </summary>
public sealed class MigrationsTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSql)]
    public void The_model_has_no_changes_missing_from_the_migrations(DatabaseProvider provider)
    {
        using var db = Context(provider);

        Assert.True(
            !db.Database.HasPendingModelChanges(),
            $"The model has changes that no {provider} migration holds. Add one to each set:\n"
            + "  dotnet dotnet-ef migrations add <Name> --project HaloPortal.Engine --startup-project HaloPortal\n"
            + "  dotnet dotnet-ef migrations add <Name> --project HaloPortal.Engine.PostgreSql --startup-project HaloPortal.Engine.PostgreSql");
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSql)]
    public void Each_provider_finds_its_own_migrations(DatabaseProvider provider)
    {
        using var db = Context(provider);

        var migrations = db.Database.GetMigrations().ToList();
        Assert.NotEmpty(migrations);
        var assembly = db.GetService<IMigrationsAssembly>().Assembly.GetName().Name;
        Assert.Equal(provider == DatabaseProvider.PostgreSql ? PortalDatabase.PostgreSqlMigrationsAssembly : "HaloPortal.Engine", assembly);
    }

    [Fact]
    public void Instants_are_ticks_on_SQLite_and_timestamptz_on_PostgreSQL()
    {
        using var sqlite = Context(DatabaseProvider.Sqlite);
        using var postgreSql = Context(DatabaseProvider.PostgreSql);

        var onSqlite = sqlite.Model.FindEntityType(typeof(Engine.Ingestion.InboundEmail))!.FindProperty(nameof(Engine.Ingestion.InboundEmail.CreatedAt))!;
        var onPostgreSql = postgreSql.Model.FindEntityType(typeof(Engine.Ingestion.InboundEmail))!.FindProperty(nameof(Engine.Ingestion.InboundEmail.CreatedAt))!;
        Assert.Equal("INTEGER", onSqlite.GetColumnType());
        Assert.Equal("timestamp with time zone", onPostgreSql.GetColumnType());
    }

    [Fact]
    public async Task The_migrations_of_the_provider_under_test_apply_to_an_empty_database_and_leave_nothing_pending()
    {
        using var database = TestDatabase.Create();
        await using var db = await database.Contexts.CreateDbContextAsync();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(TestProvider.IsPostgreSql ? "Npgsql.EntityFrameworkCore.PostgreSQL" : "Microsoft.EntityFrameworkCore.Sqlite", db.Database.ProviderName);
    }

    private static PortalDbContext Context(DatabaseProvider provider) =>
        new(PortalDatabase.Configure(new DbContextOptionsBuilder<PortalDbContext>(), provider,
                provider == DatabaseProvider.Sqlite ? "Data Source=:memory:" : "Host=127.0.0.1;Database=unused")
            .UseLoggerFactory(NullLoggerFactory.Instance)
            .Options);
}

/// <summary>Several nodes starting at once on one PostgreSQL database: one migrates and seeds, the others wait and find it done.</summary>
public sealed class ConcurrentStartupTests
{
    [PostgreSqlFact]
    public async Task Three_nodes_migrating_one_empty_database_at_once_all_start_and_apply_each_migration_once()
    {
        var directory = Path.Combine(Path.GetTempPath(), "haloportal-tests", Guid.NewGuid().ToString("N"));
        var connectionString = TestProvider.ConnectionString(directory);
        try
        {
            var options = Microsoft.Extensions.Options.Options.Create(new DataOptions { Provider = DatabaseProvider.PostgreSql });
            var factory = new Factory(PortalDatabase.Configure(new DbContextOptionsBuilder<PortalDbContext>(), DatabaseProvider.PostgreSql, connectionString).Options);
            var seeded = 0;
            var seeding = new CountingTask(() => Interlocked.Increment(ref seeded));

            await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
                new DatabaseMigrator(factory, options, [seeding], NullLogger<DatabaseMigrator>.Instance).StartAsync(CancellationToken.None))));

            await using var db = factory.CreateDbContext();
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            Assert.Equal(db.Database.GetMigrations().Count(), (await db.Database.GetAppliedMigrationsAsync()).Count());
            Assert.Equal(3, seeded); // every node runs its start-up tasks, one node at a time
            Assert.Equal(1, seeding.MaxConcurrent);
        }
        finally
        {
            TestProvider.Drop(directory);
        }
    }

    private sealed class Factory(DbContextOptions<PortalDbContext> options) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => new(options);
    }

    private sealed class CountingTask(Action ran) : IStartupTask
    {
        private int _running;

        public int MaxConcurrent { get; private set; }

        public int Order => 0;

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _running);
            MaxConcurrent = Math.Max(MaxConcurrent, now);
            await Task.Delay(50, cancellationToken);
            ran();
            Interlocked.Decrement(ref _running);
        }
    }
}
