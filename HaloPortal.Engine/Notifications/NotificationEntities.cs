using HaloPortal.Engine.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Notifications;

/// <summary>The two kinds of error notification an agent can subscribe to (Agent &gt; Preferences).</summary>
public enum NotificationCategory
{
    /// <summary>Email processing: a mailbox that cannot be read, failed emails, expiring secrets and certificates.</summary>
    EmailProcessing,
    /// <summary>Integrations: contact sync, subscription renewal.</summary>
    Integration,
}

public enum NotificationKind
{
    /// <summary>A problem started.</summary>
    Problem,
    /// <summary>The problem is over.</summary>
    Recovered,
}

/// <summary>An agent's notification switches.</summary>
internal sealed class AgentNotificationPreferences
{
    public string UserId { get; set; } = "";

    public bool EmailProcessingErrors { get; set; }

    public bool IntegrationErrors { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A problem, keyed (e.g. "credential:3"): opened once, resolved once; repeats in between only count.</summary>
internal sealed class Problem
{
    public long Id { get; set; }

    public string Key { get; set; } = "";

    public NotificationCategory Category { get; set; }

    public string Title { get; set; } = "";

    public string Message { get; set; } = "";

    public string? Fix { get; set; }

    public string? Link { get; set; }

    public int Occurrences { get; set; } = 1;

    public DateTimeOffset OpenedAt { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }
}

/// <summary>One notification in one agent's inbox.</summary>
internal sealed class Notification
{
    public long Id { get; set; }

    public string UserId { get; set; } = "";

    public long ProblemId { get; set; }

    public NotificationKind Kind { get; set; }

    public NotificationCategory Category { get; set; }

    public string Title { get; set; } = "";

    public string Message { get; set; } = "";

    public string? Fix { get; set; }

    public string? Link { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ReadAt { get; set; }
}

internal sealed class AgentNotificationPreferencesConfiguration : IEntityTypeConfiguration<AgentNotificationPreferences>
{
    public void Configure(EntityTypeBuilder<AgentNotificationPreferences> builder)
    {
        builder.ToTable("AgentNotificationPreferences");
        builder.HasKey(p => p.UserId);
        builder.HasOne<PortalUser>().WithOne().HasForeignKey<AgentNotificationPreferences>(p => p.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ProblemConfiguration : IEntityTypeConfiguration<Problem>
{
    public void Configure(EntityTypeBuilder<Problem> builder)
    {
        builder.ToTable("Problems");
        builder.Property(p => p.Key).HasMaxLength(200);
        builder.Property(p => p.Category).HasConversion<string>().HasMaxLength(32);
        builder.Property(p => p.Title).HasMaxLength(500);
        builder.Property(p => p.Link).HasMaxLength(500);
        // At most one open problem per key, whatever races.
        builder.HasIndex(p => p.Key).IsUnique().HasFilter("\"ResolvedAt\" IS NULL");
        builder.HasIndex(p => p.OpenedAt);
    }
}

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> builder)
    {
        builder.ToTable("Notifications");
        builder.Property(n => n.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(n => n.Category).HasConversion<string>().HasMaxLength(32);
        builder.Property(n => n.Title).HasMaxLength(500);
        builder.Property(n => n.Link).HasMaxLength(500);
        builder.HasIndex(n => new { n.UserId, n.ReadAt });
        builder.HasOne<PortalUser>().WithMany().HasForeignKey(n => n.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Problem>().WithMany().HasForeignKey(n => n.ProblemId).OnDelete(DeleteBehavior.Cascade);
    }
}
