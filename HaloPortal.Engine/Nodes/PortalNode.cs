using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Nodes;

/// <summary>One process of a portal node: a row per start, kept alive by its heartbeat.</summary>
internal sealed class PortalNode
{
    /// <summary>New at every process start.</summary>
    public string InstanceId { get; set; } = "";

    public string Name { get; set; } = "";

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }

    /// <summary>Set when the process stopped cleanly (its work is free at once).</summary>
    public DateTimeOffset? StoppedAt { get; set; }
}

/// <summary>Who works one key (e.g. a mailbox's scan) until when; taken by one atomic conditional UPDATE.</summary>
internal sealed class NodeLease
{
    public string Kind { get; set; } = "";

    public string Key { get; set; } = "";

    public string HolderInstance { get; set; } = "";

    public string HolderNode { get; set; } = "";

    public DateTimeOffset AcquiredAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>A row some node works on for a while (claimed by instance, until an expiry), so no other node works it at the same time.</summary>
internal interface IClaimable
{
    /// <summary>The instance (<see cref="PortalNode.InstanceId"/>) that claimed the row, or null.</summary>
    string? ClaimedBy { get; }

    DateTimeOffset? ClaimExpiresAt { get; }

    /// <summary>The name of the node that claimed (or last worked) the row.</summary>
    string? Node { get; }
}

internal sealed class PortalNodeConfiguration : IEntityTypeConfiguration<PortalNode>
{
    public void Configure(EntityTypeBuilder<PortalNode> builder)
    {
        builder.ToTable("PortalNodes");
        builder.HasKey(n => n.InstanceId);
        builder.Property(n => n.InstanceId).HasMaxLength(32);
        builder.Property(n => n.Name).HasMaxLength(64).IsRequired();
        builder.HasIndex(n => n.LastSeenAt);
    }
}

internal sealed class NodeLeaseConfiguration : IEntityTypeConfiguration<NodeLease>
{
    public void Configure(EntityTypeBuilder<NodeLease> builder)
    {
        builder.ToTable("NodeLeases");
        builder.HasKey(l => new { l.Kind, l.Key });
        builder.Property(l => l.Kind).HasMaxLength(32);
        builder.Property(l => l.Key).HasMaxLength(200);
        builder.Property(l => l.HolderInstance).HasMaxLength(32).IsRequired();
        builder.Property(l => l.HolderNode).HasMaxLength(64).IsRequired();
    }
}
