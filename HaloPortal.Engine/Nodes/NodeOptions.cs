using System.ComponentModel.DataAnnotations;

namespace HaloPortal.Engine.Nodes;

/// <summary>
/// This portal node among the others sharing the database (section <c>Portal:Node</c>). Node names must be unique among the
/// nodes of one database: a node that starts again under its name takes over what its previous process left.
/// </summary>
internal sealed class NodeOptions
{
    public const string SectionName = "Portal:Node";

    /// <summary>The node's name (default: the machine name), shown on the screens next to what the node did.</summary>
    [MaxLength(64, ErrorMessage = "Portal:Node:Name must be at most 64 characters.")]
    public string? Name { get; set; }

    /// <summary>Seconds between heartbeats (the node's LastSeenAt).</summary>
    [Range(1, 60, ErrorMessage = "Portal:Node:HeartbeatSeconds must be between 1 and 60.")]
    public int HeartbeatSeconds { get; set; } = 10;

    /// <summary>A node not seen for this many seconds is dead: its leases and claims are taken over.</summary>
    [Range(3, 600, ErrorMessage = "Portal:Node:AliveSeconds must be between 3 and 600.")]
    public int AliveSeconds { get; set; } = 45;

    /// <summary>Lifetime of a lease (a mailbox's scan) and of a claim (an email, an outbound message) without renewal.</summary>
    [Range(5, 3600, ErrorMessage = "Portal:Node:LeaseSeconds must be between 5 and 3600.")]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>Seconds between the recovery sweeps that take over the work of dead nodes.</summary>
    [Range(1, 3600, ErrorMessage = "Portal:Node:RecoverySeconds must be between 1 and 3600.")]
    public int RecoverySeconds { get; set; } = 20;

    /// <summary>Milliseconds between reads of the change feed: how soon open screens show what another node changed.</summary>
    [Range(100, 60_000, ErrorMessage = "Portal:Node:ChangePollMilliseconds must be between 100 and 60000.")]
    public int ChangePollMilliseconds { get; set; } = 1000;
}
