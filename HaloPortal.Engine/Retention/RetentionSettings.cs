using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Retention;

/// <summary>How long the bulky or growing records are kept, in days. Tickets, their messages and attachments are never purged.</summary>
/// <param name="RawMimeDays">The raw message (.eml) of each inbound email, counted from when its processing finished.</param>
/// <param name="RequestDataDays">The raw data of each processing attempt (the notification JSON or the fetched MIME).</param>
/// <param name="RejectedNotificationDays">Rejected webhook notifications (not ours, bad clientState, malformed) on Backend Service Monitoring.</param>
/// <param name="AuditDays">Audit log entries.</param>
public sealed record RetentionPeriods(int RawMimeDays, int RequestDataDays, int RejectedNotificationDays, int AuditDays)
{
    public const int MaxDays = 3650;

    public const int MinAuditDays = 30;

    /// <summary>The documented defaults.</summary>
    public static RetentionPeriods Default { get; } = new(30, 30, 14, 365);

    /// <summary>What is out of range, keyed by the camelCase field name (empty when all is well).</summary>
    public IReadOnlyDictionary<string, string> Errors()
    {
        var errors = new Dictionary<string, string>();
        Check(errors, "rawMimeDays", "Raw messages", RawMimeDays, 1);
        Check(errors, "requestDataDays", "Request data", RequestDataDays, 1);
        Check(errors, "rejectedNotificationDays", "Rejected notifications", RejectedNotificationDays, 1);
        Check(errors, "auditDays", "Audit entries", AuditDays, MinAuditDays);
        return errors;
    }

    private static void Check(Dictionary<string, string> errors, string field, string what, int days, int min)
    {
        if (days < min || days > MaxDays)
        {
            errors[field] = $"{what}: enter a number of days from {min} to {MaxDays:N0} (10 years).";
        }
    }
}

/// <summary>What one purge removed, and whether it stopped at the per-run cap with more left for the next run.</summary>
public sealed record RetentionRun(DateTimeOffset StartedAt, DateTimeOffset FinishedAt, string By, int RawMimes, int RequestData, int RejectedNotifications, int AuditEntries, bool MoreLeft)
{
    public int Total => RawMimes + RequestData + RejectedNotifications + AuditEntries;
}

/// <summary>The retention periods and the last purge.</summary>
public sealed record RetentionState(RetentionPeriods Periods, RetentionRun? LastRun);

/// <summary>Thrown when a period is out of range; the messages are keyed by the camelCase field name.</summary>
public sealed class RetentionValidationException(IReadOnlyDictionary<string, string> errors)
    : Exception(string.Join(" ", errors.Values))
{
    public IReadOnlyDictionary<string, string> Errors { get; } = errors;
}

/// <summary>Configuration › Advanced › Data Retention and the daily purge.</summary>
public interface IRetention
{
    Task<RetentionState> GetAsync(CancellationToken cancellationToken = default);

    /// <exception cref="RetentionValidationException">A period is out of range.</exception>
    Task<RetentionState> SaveAsync(RetentionPeriods periods, Audit.Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Purges what is older than the periods, in bounded batches, and records the run. One purge at a time per node.</summary>
    Task<RetentionRun> PurgeAsync(Audit.Actor actor, IProgress<RetentionRun>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>Batching of the purge (Portal:Retention). The periods themselves are settings in the database, changed on the screen.</summary>
internal sealed class RetentionOptions
{
    public const string SectionName = "Portal:Retention";

    /// <summary>Rows changed per statement: each batch is its own short transaction, so ingestion never waits long behind it.</summary>
    [Range(10, 10_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>At most this many rows per kind and run; the rest waits for the next day's run (the screen says so).</summary>
    [Range(100, 10_000_000)]
    public int MaxRowsPerRun { get; set; } = 200_000;

    /// <summary>The hour (UTC) of the daily purge.</summary>
    [Range(0, 23)]
    public int HourUtc { get; set; } = 3;
}

/// <summary>The single row of Data Retention: the periods and the last run.</summary>
internal sealed class RetentionSettingsRow
{
    public const int SingletonId = 1;

    public int Id { get; set; } = SingletonId;

    public int RawMimeDays { get; set; } = RetentionPeriods.Default.RawMimeDays;

    public int RequestDataDays { get; set; } = RetentionPeriods.Default.RequestDataDays;

    public int RejectedNotificationDays { get; set; } = RetentionPeriods.Default.RejectedNotificationDays;

    public int AuditDays { get; set; } = RetentionPeriods.Default.AuditDays;

    public DateTimeOffset? LastRunStartedAt { get; set; }

    public DateTimeOffset? LastRunFinishedAt { get; set; }

    public string? LastRunBy { get; set; }

    public int LastRunRawMimes { get; set; }

    public int LastRunRequestData { get; set; }

    public int LastRunRejectedNotifications { get; set; }

    public int LastRunAuditEntries { get; set; }

    public bool LastRunMoreLeft { get; set; }

    public RetentionPeriods Periods => new(RawMimeDays, RequestDataDays, RejectedNotificationDays, AuditDays);

    public RetentionRun? LastRun => LastRunStartedAt is { } started && LastRunFinishedAt is { } finished
        ? new RetentionRun(started, finished, LastRunBy ?? "", LastRunRawMimes, LastRunRequestData, LastRunRejectedNotifications, LastRunAuditEntries, LastRunMoreLeft)
        : null;
}

internal sealed class RetentionSettingsRowConfiguration : IEntityTypeConfiguration<RetentionSettingsRow>
{
    public void Configure(EntityTypeBuilder<RetentionSettingsRow> builder)
    {
        builder.ToTable("RetentionSettings");
        builder.Property(s => s.Id).ValueGeneratedNever();
        builder.Property(s => s.LastRunBy).HasMaxLength(256);
        builder.Ignore(s => s.Periods);
        builder.Ignore(s => s.LastRun);
        builder.HasData(new RetentionSettingsRow { Id = RetentionSettingsRow.SingletonId });
    }
}
