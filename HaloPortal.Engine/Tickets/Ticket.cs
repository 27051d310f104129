using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.EndUsers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Tickets;

/// <summary>A helpdesk ticket opened from an email (or later by an agent).</summary>
internal sealed class Ticket
{
    public int Id { get; set; }

    /// <summary>The number people see and quote in subjects ("[Ticket #1234]").</summary>
    public int Number { get; set; }

    public string Subject { get; set; } = "";

    public TicketStatus Status { get; set; } = TicketStatus.Open;

    public TicketPriority Priority { get; set; } = TicketPriority.Normal;

    public string? Category { get; set; }

    public int RequesterId { get; set; }

    public EndUser? Requester { get; set; }

    public int? MailboxId { get; set; }

    /// <summary>The closed ticket this one continues (a reply to a closed ticket opens a new, linked ticket).</summary>
    public int? LinkedTicketId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public List<TicketMessage> Messages { get; set; } = [];

    public List<TicketParticipant> Participants { get; set; } = [];
}

public enum TicketStatus
{
    Open,
    InProgress,
    WaitingOnRequester,
    Resolved,
    Closed,
}

public enum TicketPriority
{
    Low,
    Normal,
    High,
    Urgent,
}

/// <summary>Someone who took part in a ticket's thread (requester, sender, recipient); threading by subject only trusts them.</summary>
internal sealed class TicketParticipant
{
    public int TicketId { get; set; }

    public string Email { get; set; } = "";
}

internal sealed class TicketConfiguration : IEntityTypeConfiguration<Ticket>
{
    public void Configure(EntityTypeBuilder<Ticket> builder)
    {
        builder.ToTable("Tickets");
        builder.Property(t => t.Subject).HasMaxLength(1000);
        builder.Property(t => t.Category).HasMaxLength(200);
        builder.Property(t => t.Status).HasConversion<string>().HasMaxLength(32);
        builder.Property(t => t.Priority).HasConversion<string>().HasMaxLength(16);
        builder.HasIndex(t => t.Number).IsUnique();
        builder.HasIndex(t => t.CreatedAt);
        builder.HasOne(t => t.Requester).WithMany().HasForeignKey(t => t.RequesterId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Mailbox>().WithMany().HasForeignKey(t => t.MailboxId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<Ticket>().WithMany().HasForeignKey(t => t.LinkedTicketId).OnDelete(DeleteBehavior.SetNull);
        builder.HasMany(t => t.Messages).WithOne().HasForeignKey(m => m.TicketId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(t => t.Participants).WithOne().HasForeignKey(p => p.TicketId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class TicketParticipantConfiguration : IEntityTypeConfiguration<TicketParticipant>
{
    public void Configure(EntityTypeBuilder<TicketParticipant> builder)
    {
        builder.ToTable("TicketParticipants");
        builder.HasKey(p => new { p.TicketId, p.Email });
        builder.Property(p => p.Email).HasMaxLength(320);
        builder.HasIndex(p => p.Email);
    }
}
