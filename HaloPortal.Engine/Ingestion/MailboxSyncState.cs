using HaloPortal.Engine.Credentials;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Ingestion;

/// <summary>Where the last delta query over a credential's source folder ended.</summary>
internal sealed class MailboxSyncState
{
    public int CredentialId { get; set; }

    public string Folder { get; set; } = "inbox";

    public string? DeltaLink { get; set; }

    public DateTimeOffset? LastScanAt { get; set; }

    public DateTimeOffset? LastSuccessAt { get; set; }

    // The last resync after Graph dropped the sync state (410) and its note: normal scans keep them, the next resync replaces them.
    public DateTimeOffset? LastResyncAt { get; set; }

    public string? LastResyncNote { get; set; }
}

internal sealed class MailboxSyncStateConfiguration : IEntityTypeConfiguration<MailboxSyncState>
{
    public void Configure(EntityTypeBuilder<MailboxSyncState> builder)
    {
        builder.ToTable("MailboxSyncStates");
        builder.HasKey(s => new { s.CredentialId, s.Folder });
        builder.Property(s => s.Folder).HasMaxLength(256);
        builder.Property(s => s.LastResyncNote).HasMaxLength(1000);
        builder.HasOne<MailboxCredential>().WithMany().HasForeignKey(s => s.CredentialId).OnDelete(DeleteBehavior.Cascade);
    }
}
