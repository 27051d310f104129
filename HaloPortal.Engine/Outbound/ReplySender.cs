namespace HaloPortal.Engine.Outbound;

/// <summary>A mailbox a reply can go out from.</summary>
/// <param name="Address">The address it sends as; null when the mailbox has no connected address.</param>
public sealed record ReplyMailbox(int Id, string Name, string? Address)
{
    /// <summary>"Name &lt;address&gt;", as the composer and the messages show it.</summary>
    public override string ToString() => Address is null ? $"'{Name}'" : $"{Name} <{Address}>";
}

/// <summary>Which mailbox a reply to a ticket would go out from now, and why.</summary>
/// <param name="Sender">The mailbox that would send it; null when no mailbox can.</param>
/// <param name="TicketMailbox">The ticket's own mailbox; null when the ticket has none (or it was deleted).</param>
/// <param name="IsFallback">The sender is the default outgoing mailbox, because the ticket's own mailbox cannot send.</param>
/// <param name="FallbackReason">Why the ticket's own mailbox cannot send; null when it can.</param>
/// <param name="Problem">Why no mailbox can send, with what to do; null when <paramref name="Sender"/> is set.</param>
public sealed record ReplySenderPlan(ReplyMailbox? Sender, ReplyMailbox? TicketMailbox, bool IsFallback, string? FallbackReason, string? Problem);

/// <summary>The mailbox the agent (or script) agreed a reply may go out from.</summary>
/// <param name="MailboxId">Send only from this mailbox: it is the one the agent was shown and confirmed.</param>
/// <param name="AllowFallback">When no mailbox is named: whether the default outgoing mailbox may stand in for the ticket's own.</param>
public sealed record ReplyFrom(int? MailboxId, bool AllowFallback)
{
    /// <summary>Whatever the plan says at the moment of queuing (the default outgoing mailbox may stand in).</summary>
    public static ReplyFrom Planned { get; } = new(null, true);

    /// <summary>Only the ticket's own mailbox; refused when it cannot send.</summary>
    public static ReplyFrom TicketMailboxOnly { get; } = new(null, false);

    /// <summary>Exactly this mailbox, which the agent was shown; refused when the reply would go from another.</summary>
    public static ReplyFrom Confirmed(int mailboxId) => new(mailboxId, true);
}

/// <summary>
/// A reply was not queued because it would go out from a mailbox the agent (or script) did not agree to: the plan changed since
/// it was shown, or the ticket's own mailbox cannot send and a fallback was refused. <see cref="Plan"/> is the plan now.
/// </summary>
public sealed class ReplySenderException(string code, string message, string fix, ReplySenderPlan plan) : Exception(message)
{
    /// <summary><c>SenderChanged</c> or <c>TicketMailboxCannotSend</c>.</summary>
    public string Code { get; } = code;

    public string Fix { get; } = fix;

    public ReplySenderPlan Plan { get; } = plan;
}
