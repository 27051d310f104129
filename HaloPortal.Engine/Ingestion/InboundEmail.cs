using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Ingestion;

/// <summary>
/// One email seen in a mailbox, from the moment it was first fetched or notified. Its <see cref="Stage"/> says how far the
/// durable pipeline got, so a crash at any step resumes where it stopped.
/// </summary>
internal sealed class InboundEmail : IClaimable
{
    public long Id { get; set; }

    public int MailboxId { get; set; }

    public int? CredentialId { get; set; }

    /// <summary>Identity for idempotency within the mailbox: the Internet Message-ID, else "graph:{id}".</summary>
    public string DedupeKey { get; set; } = "";

    public string? InternetMessageId { get; set; }

    /// <summary>The message's current Graph id (changes when the message is moved).</summary>
    public string? GraphMessageId { get; set; }

    public string? Subject { get; set; }

    public string? From { get; set; }

    public DateTimeOffset? ReceivedAt { get; set; }

    public long? SizeBytes { get; set; }

    public InboundStatus Status { get; set; } = InboundStatus.Pending;

    public InboundStage Stage { get; set; } = InboundStage.Discovered;

    /// <summary>How the email was first found (scan, webhook, manual import).</summary>
    public RequestKind FoundBy { get; set; }

    /// <summary>Why it was ignored or failed, in plain words (with the fix for catalogued failures).</summary>
    public string? Reason { get; set; }

    public string? ErrorCode { get; set; }

    /// <summary>The email rule that matched, by name.</summary>
    public string? Rule { get; set; }

    public int? TicketId { get; set; }

    /// <summary>
    /// How many times the email was tried: each processing run, and each read of the message that a transient failure made the
    /// run repeat (so an email read again after one 503 shows 2). Kept across replays: it is the email's history.
    /// </summary>
    public int Attempts { get; set; }

    /// <summary>
    /// How many times a transient failure sent the email back to wait for a later run since it was found or last replayed;
    /// it is marked failed when this reaches <see cref="IngestionOptions.MaxAttempts"/>.
    /// </summary>
    public int ScheduledRetries { get; set; }

    /// <summary>When a transient failure is retried next.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The last failure of any attempt, in plain words (kept after a later attempt succeeds, as history).</summary>
    public string? LastError { get; set; }

    public DateTimeOffset? LastErrorAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The raw MIME as fetched (kept for download, replay and oversized/unparseable mail).</summary>
    public byte[]? RawMime { get; set; }

    /// <summary>When retention removed the raw message (null while it is kept).</summary>
    public DateTimeOffset? RawPurgedAt { get; set; }

    /// <summary>The mailbox side effect still to do once the ticket is committed (move / delete / mark read / leave in place).</summary>
    public string? PendingSideEffect { get; set; }

    /// <summary>The node process working the email now (no other node takes it until the claim expires or the node dies).</summary>
    public string? ClaimedBy { get; set; }

    public DateTimeOffset? ClaimExpiresAt { get; set; }

    /// <summary>The name of the node that claimed (or last worked) the email.</summary>
    public string? Node { get; set; }
}

/// <summary>The status the inbound log and the API show.</summary>
public enum InboundStatus
{
    Pending,
    Processing,
    Processed,
    Ignored,
    Failed,
}

/// <summary>How far the durable pipeline got.</summary>
public enum InboundStage
{
    /// <summary>Known (from a scan page or a notification), not fetched yet.</summary>
    Discovered,

    /// <summary>Raw MIME committed.</summary>
    Fetched,

    /// <summary>Ticket (or update), or the ignore decision, committed; the mailbox side effect is still to do.</summary>
    Decided,

    /// <summary>Mailbox side effect done; nothing left.</summary>
    Done,
}

internal sealed class InboundEmailConfiguration : IEntityTypeConfiguration<InboundEmail>
{
    public void Configure(EntityTypeBuilder<InboundEmail> builder)
    {
        builder.ToTable("InboundEmails");
        builder.Property(e => e.DedupeKey).HasMaxLength(1000).IsRequired();
        builder.Property(e => e.InternetMessageId).HasMaxLength(998);
        builder.Property(e => e.GraphMessageId).HasMaxLength(512);
        builder.Property(e => e.Subject).HasMaxLength(1000);
        builder.Property(e => e.From).HasMaxLength(320);
        builder.Property(e => e.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.Stage).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.FoundBy).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.Rule).HasMaxLength(200);
        builder.Property(e => e.ErrorCode).HasMaxLength(64);
        builder.Property(e => e.PendingSideEffect).HasMaxLength(64);
        builder.Property(e => e.LastError).HasMaxLength(1000);
        builder.Property(e => e.ClaimedBy).HasMaxLength(32);
        builder.Property(e => e.Node).HasMaxLength(64);
        builder.HasIndex(e => new { e.MailboxId, e.DedupeKey }).IsUnique();
        builder.HasIndex(e => new { e.MailboxId, e.GraphMessageId });
        builder.HasIndex(e => new { e.Status, e.CreatedAt });
        builder.HasIndex(e => e.CreatedAt);
        // The unfinished emails only: every node's recovery sweep (every Portal:Node:RecoverySeconds) looks for them, and without
        // it that is a full scan of the whole inbound history each time (SQL identical on SQLite and PostgreSQL).
        builder.HasIndex(e => e.Stage).HasDatabaseName("IX_InboundEmails_Unfinished").HasFilter("\"Stage\" <> 'Done'");
        builder.HasOne<Mailbox>().WithMany().HasForeignKey(e => e.MailboxId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Tickets.Ticket>().WithMany().HasForeignKey(e => e.TicketId).OnDelete(DeleteBehavior.SetNull);
    }
}
