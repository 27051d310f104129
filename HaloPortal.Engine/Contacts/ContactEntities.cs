using HaloPortal.Engine.Mailboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Contacts;

/// <summary>A saved mapping of a mailbox's contact import: an Outlook contact field to a user field.</summary>
internal sealed class ContactMapping
{
    public int Id { get; set; }

    public int MailboxId { get; set; }

    /// <summary>A key of <see cref="OutlookContactFields"/>, e.g. <c>emailAddresses[0]</c>.</summary>
    public string OutlookField { get; set; } = "";

    public UserField UserField { get; set; }
}

/// <summary>A mailbox's contact import settings (the scheduled sync) and its last failure, shown as a banner until an import succeeds.</summary>
internal sealed class ContactImportSettings
{
    public int MailboxId { get; set; }

    /// <summary>Whether the saved mappings replace the defaults (a mailbox may save an explicit set).</summary>
    public bool MappingsSaved { get; set; }

    public bool ScheduleEnabled { get; set; }

    public int IntervalHours { get; set; } = 24;

    public string? LastFailureCode { get; set; }

    public string? LastFailureMessage { get; set; }

    public DateTimeOffset? LastFailureAt { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }
}

/// <summary>One import run of a mailbox's contacts: when, why, what it did and how it ended.</summary>
internal sealed class ContactImportRun
{
    public long Id { get; set; }

    public int MailboxId { get; set; }

    public ContactImportTrigger Trigger { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public int Processed { get; set; }

    public int Created { get; set; }

    public int Updated { get; set; }

    public int Unchanged { get; set; }

    public int Skipped { get; set; }

    /// <summary>The first skipped contacts with their reasons, as JSON (<c>[{"contactId","displayName","reason"}]</c>).</summary>
    public string? SkippedJson { get; set; }

    public string? ErrorCode { get; set; }

    public string? ErrorMessage { get; set; }
}

internal sealed class ContactMappingConfiguration : IEntityTypeConfiguration<ContactMapping>
{
    public void Configure(EntityTypeBuilder<ContactMapping> builder)
    {
        builder.ToTable("ContactMappings");
        builder.Property(m => m.OutlookField).HasMaxLength(64).IsRequired();
        builder.Property(m => m.UserField).HasConversion<string>().HasMaxLength(32);
        builder.HasIndex(m => new { m.MailboxId, m.UserField }).IsUnique();
        builder.HasOne<Mailbox>().WithMany().HasForeignKey(m => m.MailboxId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ContactImportSettingsConfiguration : IEntityTypeConfiguration<ContactImportSettings>
{
    public void Configure(EntityTypeBuilder<ContactImportSettings> builder)
    {
        builder.ToTable("ContactImportSettings");
        builder.HasKey(s => s.MailboxId);
        builder.Property(s => s.LastFailureCode).HasMaxLength(64);
        builder.Property(s => s.LastFailureMessage).HasMaxLength(2000);
        builder.HasOne<Mailbox>().WithOne().HasForeignKey<ContactImportSettings>(s => s.MailboxId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ContactImportRunConfiguration : IEntityTypeConfiguration<ContactImportRun>
{
    public void Configure(EntityTypeBuilder<ContactImportRun> builder)
    {
        builder.ToTable("ContactImportRuns");
        builder.Property(r => r.Trigger).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.ErrorCode).HasMaxLength(64);
        builder.Property(r => r.ErrorMessage).HasMaxLength(2000);
        builder.HasIndex(r => new { r.MailboxId, r.StartedAt });
        builder.HasOne<Mailbox>().WithMany().HasForeignKey(r => r.MailboxId).OnDelete(DeleteBehavior.Cascade);
    }
}
