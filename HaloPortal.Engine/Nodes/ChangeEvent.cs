using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Nodes;

/// <summary>
/// One change a node announced to the others (the change feed): a topic (what kind of thing changed) and a key (which one).
/// Only a nudge for open screens and caches: the changed data itself is in its own tables. Rows live a few minutes.
/// </summary>
internal sealed class ChangeEvent
{
    /// <summary>Increasing: each node reads the rows after the last one it saw.</summary>
    public long Id { get; set; }

    public string Topic { get; set; } = "";

    public string Key { get; set; } = "";

    /// <summary>The instance (<see cref="PortalNode.InstanceId"/>) that made the change; it does not read its own rows back.</summary>
    public string Instance { get; set; } = "";

    public DateTimeOffset At { get; set; }
}

internal sealed class ChangeEventConfiguration : IEntityTypeConfiguration<ChangeEvent>
{
    public void Configure(EntityTypeBuilder<ChangeEvent> builder)
    {
        builder.ToTable("ChangeEvents");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Topic).HasMaxLength(32).IsRequired();
        builder.Property(c => c.Key).HasMaxLength(200).IsRequired();
        builder.Property(c => c.Instance).HasMaxLength(32).IsRequired();
        builder.HasIndex(c => c.At);
    }
}
