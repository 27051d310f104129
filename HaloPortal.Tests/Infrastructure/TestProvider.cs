using System.Security.Cryptography;
using System.Text;
using HaloPortal.Engine.Data;
using Npgsql;

namespace HaloPortal.Tests.Infrastructure;

/// <summary>
/// The one switch that runs the tests on PostgreSQL: <c>HALOPORTAL_TEST_DB=PostgreSql</c> (default: SQLite), with
/// <c>HALOPORTAL_TEST_PG</c> the server's base connection string (default
/// <c>Host=127.0.0.1;Username=haloportal;Password=haloportal</c>; the role needs CREATEDB). Each data folder a test uses gets
/// its own database, named after the folder, so a portal restarted on the same folder finds the same database; it is dropped
/// with the folder.
/// </summary>
public static class TestProvider
{
    public const string DatabaseVariable = "HALOPORTAL_TEST_DB";
    public const string PostgreSqlVariable = "HALOPORTAL_TEST_PG";
    public const string DefaultPostgreSql = "Host=127.0.0.1;Username=haloportal;Password=haloportal";

    /// <summary>The provider the tests run on.</summary>
    public static DatabaseProvider Provider { get; } =
        string.Equals(Environment.GetEnvironmentVariable(DatabaseVariable), nameof(DatabaseProvider.PostgreSql), StringComparison.OrdinalIgnoreCase)
            ? DatabaseProvider.PostgreSql
            : DatabaseProvider.Sqlite;

    public static bool IsPostgreSql => Provider == DatabaseProvider.PostgreSql;

    /// <summary>The reason a SQLite-only test gives when it is skipped on PostgreSQL (null on SQLite: the test runs).</summary>
    public static string? SkipOnPostgreSql(string why) => IsPostgreSql ? $"SQLite only ({why}); {DatabaseVariable}=PostgreSql" : null;

    private static string BaseConnectionString =>
        Environment.GetEnvironmentVariable(PostgreSqlVariable) is { Length: > 0 } configured ? configured : DefaultPostgreSql;

    /// <summary>The portal's connection string for the data folder <paramref name="dataDirectory"/>; on PostgreSQL the database is created when missing.</summary>
    public static string ConnectionString(string dataDirectory, bool pooling = true)
    {
        if (!IsPostgreSql)
        {
            var file = Path.Combine(dataDirectory, "portal.db");
            return pooling ? $"Data Source={file}" : $"Data Source={file};Pooling=False";
        }

        var name = DatabaseName(dataDirectory);
        using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(BaseConnectionString) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            admin.Open();
            using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", admin);
            exists.Parameters.AddWithValue("name", name);
            if (exists.ExecuteScalar() is null)
            {
                using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
                create.ExecuteNonQuery();
            }
        }

        return new NpgsqlConnectionStringBuilder(BaseConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Drops the data folder's database (PostgreSQL; nothing on SQLite, whose file goes with the folder).</summary>
    public static void Drop(string dataDirectory)
    {
        if (!IsPostgreSql)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(BaseConnectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        admin.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabaseName(dataDirectory)}\" WITH (FORCE)", admin);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                drop.ExecuteNonQuery();
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 20)
            {
                // FORCE may not end a backend of another role that just attached (an autovacuum worker): it ends on its own.
                Thread.Sleep(250);
            }
        }
    }

    /// <summary>Extra portal settings for the provider under test (none on SQLite: the embedded defaults).</summary>
    public static IEnumerable<KeyValuePair<string, string>> PortalSettings()
    {
        if (IsPostgreSql)
        {
            yield return new("Portal:Database:Provider", nameof(DatabaseProvider.PostgreSql));
            yield return new("Portal:Hangfire:Storage", "PostgreSql");
        }
    }

    private static string DatabaseName(string dataDirectory) =>
        "haloportal_test_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..24];
}
