using HaloPortal.Engine.Credentials;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Mailboxes;

/// <summary>A mailbox the portal reads mail from (Configuration &gt; Email &gt; Mailboxes).</summary>
internal sealed class Mailbox
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public MailboxConnectionType ConnectionType { get; set; } = MailboxConnectionType.Office365Azure;

    /// <summary>Whether mail arriving in this mailbox is processed (the Incoming tab's switch).</summary>
    public bool IncomingEnabled { get; set; } = true;

    /// <summary>The folder mail is read from: a well-known name (inbox) or a folder id.</summary>
    public string SourceFolder { get; set; } = "inbox";

    /// <summary>What happens to a message in the mailbox once its ticket is committed.</summary>
    public ProcessedMailAction ProcessedAction { get; set; } = ProcessedMailAction.MoveToFolder;

    /// <summary>The folder processed mail is moved to (created when missing).</summary>
    public string ProcessedFolderName { get; set; } = "Processed";

    /// <summary>Mail larger than this is not processed: it is logged as failed, left in the mailbox, and downloadable.</summary>
    public int MaxEmailSizeMb { get; set; } = 25;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }

    public List<MailboxCredential> Credentials { get; set; } = [];
}

/// <summary>How the portal reaches a mailbox. Only Office 365/Azure is built; the others are reserved so the model has room for them.</summary>
public enum MailboxConnectionType
{
    Office365Azure,
    ImapPop3,
    Ews,
    Google,
}

/// <summary>The mailbox side effect after a ticket is committed.</summary>
public enum ProcessedMailAction
{
    /// <summary>Moved to the processed folder (created when missing).</summary>
    MoveToFolder,

    /// <summary>Deleted from the mailbox (to Deleted Items).</summary>
    Delete,

    /// <summary>Marked as read, left in the folder.</summary>
    MarkRead,

    /// <summary>
    /// Left exactly as it arrived (unread, in the folder): no Graph call after the fetch of its MIME. The portal's own record of
    /// the message (by Message-ID and Graph id) keeps it from being processed again by later scans, notifications or resyncs.
    /// </summary>
    LeaveInPlace,
}

internal sealed class MailboxConfiguration : IEntityTypeConfiguration<Mailbox>
{
    public void Configure(EntityTypeBuilder<Mailbox> builder)
    {
        builder.ToTable("Mailboxes");
        builder.Property(m => m.Name).HasMaxLength(200).IsRequired();
        builder.Property(m => m.ConnectionType).HasConversion<string>().HasMaxLength(32);
        builder.Property(m => m.SourceFolder).HasMaxLength(256);
        builder.Property(m => m.ProcessedFolderName).HasMaxLength(256);
        builder.Property(m => m.ProcessedAction).HasConversion<string>().HasMaxLength(16);
        builder.HasIndex(m => m.Name).IsUnique();
        builder.HasMany(m => m.Credentials).WithOne().HasForeignKey(c => c.MailboxId).OnDelete(DeleteBehavior.Cascade);
    }
}
