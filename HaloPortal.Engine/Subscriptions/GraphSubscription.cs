using HaloPortal.Engine.Credentials;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Subscriptions;

/// <summary>A Graph change-notification subscription of a Webhooks credential, with its encrypted clientState.</summary>
internal sealed class GraphSubscription
{
    public int Id { get; set; }

    public int CredentialId { get; set; }

    /// <summary>Graph's subscription id.</summary>
    public string GraphSubscriptionId { get; set; } = "";

    /// <summary>e.g. <c>users/{address}/mailFolders('inbox')/messages</c>.</summary>
    public string Resource { get; set; } = "";

    public string ChangeType { get; set; } = "created";

    public string NotificationUrl { get; set; } = "";

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The secret Graph echoes in every notification, encrypted with Data Protection.</summary>
    public string ClientStateProtected { get; set; } = "";

    public SubscriptionStatus Status { get; set; } = SubscriptionStatus.Active;

    public DateTimeOffset? LastNotificationAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? CancelledAt { get; set; }

    /// <summary>Consecutive failed renewals; reset by a successful one.</summary>
    public int RenewalFailures { get; set; }

    /// <summary>When a failed renewal is tried again (back-off).</summary>
    public DateTimeOffset? NextRenewalAttemptAt { get; set; }
}

public enum SubscriptionStatus
{
    Active,
    Failed,
    Cancelled,
}

/// <summary>One renewal attempt (or re-creation) of a subscription.</summary>
internal sealed class SubscriptionRenewal
{
    public long Id { get; set; }

    public int SubscriptionId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>What asked for it: Scheduler, Webhook, Lifecycle or Manual.</summary>
    public string Trigger { get; set; } = "";

    public bool Succeeded { get; set; }

    public DateTimeOffset? PreviousExpiry { get; set; }

    public DateTimeOffset? NewExpiry { get; set; }

    public string? ErrorCode { get; set; }

    public string? Error { get; set; }
}

internal sealed class GraphSubscriptionConfiguration : IEntityTypeConfiguration<GraphSubscription>
{
    public void Configure(EntityTypeBuilder<GraphSubscription> builder)
    {
        builder.ToTable("GraphSubscriptions");
        builder.Property(s => s.GraphSubscriptionId).HasMaxLength(128).IsRequired();
        builder.Property(s => s.Resource).HasMaxLength(1000);
        builder.Property(s => s.ChangeType).HasMaxLength(64);
        builder.Property(s => s.NotificationUrl).HasMaxLength(2000);
        builder.Property(s => s.Status).HasConversion<string>().HasMaxLength(16);
        builder.HasIndex(s => s.GraphSubscriptionId).IsUnique();
        builder.HasIndex(s => new { s.CredentialId, s.Status });
        builder.HasOne<MailboxCredential>().WithMany().HasForeignKey(s => s.CredentialId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class SubscriptionRenewalConfiguration : IEntityTypeConfiguration<SubscriptionRenewal>
{
    public void Configure(EntityTypeBuilder<SubscriptionRenewal> builder)
    {
        builder.ToTable("SubscriptionRenewals");
        builder.Property(r => r.Trigger).HasMaxLength(16);
        builder.Property(r => r.ErrorCode).HasMaxLength(64);
        builder.Property(r => r.Error).HasMaxLength(2000);
        builder.HasIndex(r => new { r.SubscriptionId, r.At });
        builder.HasOne<GraphSubscription>().WithMany().HasForeignKey(r => r.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
    }
}
