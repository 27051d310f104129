using HaloPortal.Engine.Nodes;
using HaloPortal.Engine.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Outbound;

/// <summary>
/// One email the portal sends: an agent's reply, an acknowledgement or an error notification. The row is the record
/// (stored before anything is sent); the background sender only moves it through <see cref="OutboundStatus"/>.
/// </summary>
internal sealed class OutboundMessage : IClaimable
{
    public long Id { get; set; }

    public OutboundKind Kind { get; set; }

    public OutboundStatus Status { get; set; } = OutboundStatus.Queued;

    /// <summary>The ticket the mail belongs to (replies and acknowledgements).</summary>
    public int? TicketId { get; set; }

    /// <summary>The thread entry shown on the ticket (replies; its attachments are the mail's attachments).</summary>
    public long? TicketMessageId { get; set; }

    /// <summary>The mailbox to send from first (the ticket's); the default outgoing mailbox is the fallback.</summary>
    public int? PreferredMailboxId { get; set; }

    /// <summary>The mailbox address it was (last) sent from.</summary>
    public string? SentFrom { get; set; }

    public string To { get; set; } = "";

    public string? ToName { get; set; }

    public string Subject { get; set; } = "";

    public string BodyHtml { get; set; } = "";

    /// <summary>Message-ID without angle brackets (see <c>PortalMessageId</c>): it carries this deployment's id.</summary>
    public string InternetMessageId { get; set; } = "";

    public string? InReplyTo { get; set; }

    /// <summary>Space-separated Message-IDs (without brackets).</summary>
    public string? References { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset? NextAttemptAt { get; set; }

    public string? LastErrorCode { get; set; }

    public string? LastError { get; set; }

    /// <summary>Who asked for it ("system" for acknowledgements and notifications).</summary>
    public string CreatedBy { get; set; } = "system";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    /// <summary>The node process sending it now (while <see cref="OutboundStatus.Sending"/>).</summary>
    public string? ClaimedBy { get; set; }

    public DateTimeOffset? ClaimExpiresAt { get; set; }

    /// <summary>The name of the portal node that sent it (or is sending it).</summary>
    public string? Node { get; set; }
}

public enum OutboundKind
{
    Reply,
    Acknowledgement,
    Notification,
}

public enum OutboundStatus
{
    /// <summary>Waiting for the sender (first attempt, or a retry after a transient failure at <see cref="OutboundMessage.NextAttemptAt"/>).</summary>
    Queued,
    Sending,
    Sent,
    /// <summary>Stopped: a failure that needs someone to act (or retries exhausted). "Retry now" queues it again.</summary>
    Failed,
}

internal sealed class OutboundMessageConfiguration : IEntityTypeConfiguration<OutboundMessage>
{
    public void Configure(EntityTypeBuilder<OutboundMessage> builder)
    {
        builder.ToTable("OutboundMessages");
        builder.Property(m => m.Kind).HasConversion<string>().HasMaxLength(32);
        builder.Property(m => m.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(m => m.SentFrom).HasMaxLength(320);
        builder.Property(m => m.To).HasMaxLength(320);
        builder.Property(m => m.ToName).HasMaxLength(256);
        builder.Property(m => m.Subject).HasMaxLength(1000);
        builder.Property(m => m.InternetMessageId).HasMaxLength(998);
        builder.Property(m => m.InReplyTo).HasMaxLength(998);
        builder.Property(m => m.LastErrorCode).HasMaxLength(64);
        builder.Property(m => m.CreatedBy).HasMaxLength(256);
        builder.Property(m => m.ClaimedBy).HasMaxLength(32);
        builder.Property(m => m.Node).HasMaxLength(64);
        builder.HasIndex(m => new { m.Status, m.NextAttemptAt });
        builder.HasIndex(m => new { m.Kind, m.To, m.CreatedAt });
        builder.HasIndex(m => m.TicketMessageId);
        builder.HasIndex(m => m.InternetMessageId).IsUnique();
        builder.HasOne<Ticket>().WithMany().HasForeignKey(m => m.TicketId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<TicketMessage>().WithMany().HasForeignKey(m => m.TicketMessageId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<Mailboxes.Mailbox>().WithMany().HasForeignKey(m => m.PreferredMailboxId).OnDelete(DeleteBehavior.SetNull);
    }
}
