using System.ComponentModel.DataAnnotations;

namespace HaloPortal.Engine.Data;

/// <summary>Which database the portal uses. SQLite is the embedded default; PostgreSQL is the scale-out provider.</summary>
public sealed class DataOptions
{
    public const string SectionName = "Portal:Database";

    [Required]
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Apply pending migrations at start-up (on by default).</summary>
    public bool MigrateOnStartup { get; set; } = true;
}

public enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
}
