namespace HaloPortal.Tests.Infrastructure;

/// <summary>A fact about SQLite itself (its files, its write-ahead log): skipped, with the reason, when the tests run on PostgreSQL.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SqliteOnlyFactAttribute : FactAttribute
{
    public SqliteOnlyFactAttribute(string why)
    {
        if (TestProvider.SkipOnPostgreSql(why) is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A fact that needs the PostgreSQL server: skipped unless the tests run on PostgreSQL (<see cref="TestProvider"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgreSqlFactAttribute : FactAttribute
{
    public PostgreSqlFactAttribute()
    {
        if (!TestProvider.IsPostgreSql)
        {
            Skip = $"needs a PostgreSQL server: set {TestProvider.DatabaseVariable}=PostgreSql (and {TestProvider.PostgreSqlVariable} unless the default role is set up)";
        }
    }
}
