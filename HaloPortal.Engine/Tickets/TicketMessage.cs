using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Tickets;

/// <summary>One message of a ticket's thread: an email received (or, later, a reply sent).</summary>
internal sealed class TicketMessage
{
    public long Id { get; set; }

    public int TicketId { get; set; }

    public MessageDirection Direction { get; set; } = MessageDirection.Inbound;

    /// <summary>The inbound email this message came from; unique, which makes "one ticket message per email" a database rule.</summary>
    public long? InboundEmailId { get; set; }

    public string From { get; set; } = "";

    public string? FromName { get; set; }

    public string To { get; set; } = "";

    public string Cc { get; set; } = "";

    public string Subject { get; set; } = "";

    public DateTimeOffset SentAt { get; set; }

    /// <summary>Sanitised HTML of the new content only (quoted history trimmed), cid: links rewritten to stored attachments.</summary>
    public string? BodyHtml { get; set; }

    public string? BodyText { get; set; }

    /// <summary>The full original HTML (sanitised), history included.</summary>
    public string? FullBodyHtml { get; set; }

    public string? InternetMessageId { get; set; }

    public string? InReplyTo { get; set; }

    /// <summary>Space-separated Message-IDs of the References header.</summary>
    public string? References { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public List<TicketAttachment> Attachments { get; set; } = [];
}

public enum MessageDirection
{
    Inbound,
    Outbound,
}

internal sealed class TicketAttachment
{
    public long Id { get; set; }

    public long TicketMessageId { get; set; }

    public string Name { get; set; } = "";

    public string ContentType { get; set; } = "application/octet-stream";

    public long Size { get; set; }

    public string? ContentId { get; set; }

    public bool IsInline { get; set; }

    public byte[] Content { get; set; } = [];
}

internal sealed class TicketMessageConfiguration : IEntityTypeConfiguration<TicketMessage>
{
    public void Configure(EntityTypeBuilder<TicketMessage> builder)
    {
        builder.ToTable("TicketMessages");
        builder.Property(m => m.Direction).HasConversion<string>().HasMaxLength(16);
        builder.Property(m => m.From).HasMaxLength(320);
        builder.Property(m => m.FromName).HasMaxLength(256);
        builder.Property(m => m.Subject).HasMaxLength(1000);
        builder.Property(m => m.InternetMessageId).HasMaxLength(998);
        builder.Property(m => m.InReplyTo).HasMaxLength(998);
        builder.HasIndex(m => m.InboundEmailId).IsUnique();
        builder.HasIndex(m => m.InternetMessageId);
        builder.HasMany(m => m.Attachments).WithOne().HasForeignKey(a => a.TicketMessageId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class TicketAttachmentConfiguration : IEntityTypeConfiguration<TicketAttachment>
{
    public void Configure(EntityTypeBuilder<TicketAttachment> builder)
    {
        builder.ToTable("TicketAttachments");
        builder.Property(a => a.Name).HasMaxLength(512);
        builder.Property(a => a.ContentType).HasMaxLength(256);
        builder.Property(a => a.ContentId).HasMaxLength(512);
    }
}
