using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Mailboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Ingestion;

/// <summary>One Import emails run of a mailbox: when, by whom, with which backlog, and the report it ended with.</summary>
internal sealed class ImportRun
{
    public long Id { get; set; }

    public int MailboxId { get; set; }

    public ImportRunTrigger Trigger { get; set; }

    public string StartedBy { get; set; } = "";

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public ImportRunStatus Status { get; set; }

    public DateTimeOffset? BacklogSince { get; set; }

    public int? BacklogCap { get; set; }

    public int Fetched { get; set; }

    public int Created { get; set; }

    public int Updated { get; set; }

    public int Ignored { get; set; }

    public int Failed { get; set; }

    public int Pending { get; set; }

    public string? ErrorCode { get; set; }

    public string? ErrorTitle { get; set; }

    public string? ErrorMessage { get; set; }

    public string? ErrorFix { get; set; }

    public ErrorKind? ErrorKind { get; set; }

    public string? SkippedReason { get; set; }

    /// <summary>The name of the portal node running (or that ran) the import.</summary>
    public string? Node { get; set; }

    /// <summary>The process of that node (its instance id): the start-up sweep leaves a live one's runs alone.</summary>
    public string? NodeInstance { get; set; }

    /// <summary>The report's failed emails (at most 10) as JSON (<c>[{"emailId","subject","from","reason"}]</c>).</summary>
    public string? FailuresJson { get; set; }

    /// <summary>The report's note: what the scan did that its counts do not tell (e.g. a resync after Graph dropped the delta sync state).</summary>
    public string? Note { get; set; }
}

internal sealed class ImportRunConfiguration : IEntityTypeConfiguration<ImportRun>
{
    public void Configure(EntityTypeBuilder<ImportRun> builder)
    {
        builder.ToTable("ImportRuns");
        builder.Property(r => r.Trigger).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.ErrorKind).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.StartedBy).HasMaxLength(256);
        builder.Property(r => r.ErrorCode).HasMaxLength(64);
        builder.Property(r => r.ErrorTitle).HasMaxLength(256);
        builder.Property(r => r.ErrorMessage).HasMaxLength(2000);
        builder.Property(r => r.ErrorFix).HasMaxLength(2000);
        builder.Property(r => r.SkippedReason).HasMaxLength(1000);
        builder.Property(r => r.Note).HasMaxLength(1000);
        builder.Property(r => r.Node).HasMaxLength(64);
        builder.Property(r => r.NodeInstance).HasMaxLength(32);
        builder.HasIndex(r => new { r.MailboxId, r.StartedAt });
        builder.HasIndex(r => r.Status);
        builder.HasOne<Mailbox>().WithMany().HasForeignKey(r => r.MailboxId).OnDelete(DeleteBehavior.Cascade);
    }
}
