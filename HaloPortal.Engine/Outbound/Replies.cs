using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Parsing;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tickets;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Outbound;

/// <summary>Limits of a reply.</summary>
public static class ReplyLimits
{
    /// <summary>
    /// The most attachment bytes one reply carries: Exchange Online's 150 MB message limit. Up to 2 MB go out in one sendMail
    /// request; more are sent as a draft, the large files uploaded in chunks through Graph upload sessions.
    /// </summary>
    public const long MaxAttachmentBytes = 150L * 1024 * 1024;

    /// <summary><see cref="MaxAttachmentBytes"/> for messages.</summary>
    public const string MaxAttachmentText = "150 MB";
}

/// <summary>A file attached to a reply.</summary>
public sealed record ReplyAttachment(string Name, string ContentType, byte[] Content);

/// <summary>Who writes a reply: the actor (audit) and the name shown on the thread.</summary>
public sealed record ReplyAuthor(Actor Actor, string? DisplayName);

/// <summary>An outbound message's state, as shown on the ticket and returned by the API.</summary>
/// <param name="FromMailboxId">Replies: the mailbox it goes (or went) out from, the only one it is ever sent from.</param>
/// <param name="Fallback">Replies: that mailbox is not the ticket's own (the agent chose the default outgoing mailbox).</param>
/// <param name="FallbackReason">Why the ticket's own mailbox could not send; only in the answer to queuing the reply.</param>
public sealed record OutboundInfo(
    long Id,
    OutboundKind Kind,
    OutboundStatus Status,
    int? TicketId,
    long? TicketMessageId,
    string To,
    string Subject,
    string InternetMessageId,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    string? LastErrorCode,
    string? LastError,
    string? SentFrom,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SentAt,
    int? FromMailboxId = null,
    bool Fallback = false,
    string? FallbackReason = null);

/// <summary>
/// Replies from a ticket. A reply is stored first (an <see cref="OutboundMessage"/> and an outbound entry on the thread, in one
/// transaction), then sent in the background; failures are retried and stay visible until sent or retried by hand.
/// </summary>
public interface IReplies
{
    /// <summary>Which mailbox a reply to the ticket would go out from now: its own, or the default outgoing mailbox (a fallback, with the reason).</summary>
    /// <exception cref="KeyNotFoundException">No such ticket.</exception>
    Task<ReplySenderPlan> PlanSenderAsync(int ticketId, CancellationToken cancellationToken = default);

    /// <summary>Queues a reply to the ticket's requester, from the mailbox planned at this moment (<see cref="ReplyFrom.Planned"/>).</summary>
    /// <exception cref="ArgumentException">Empty body or attachments over the size limit (the message says what to change).</exception>
    /// <exception cref="KeyNotFoundException">No such ticket.</exception>
    Task<OutboundInfo> SendAsync(int ticketId, ReplyAuthor author, string bodyHtml, IReadOnlyList<ReplyAttachment> attachments, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues a reply that goes out only from the mailbox <paramref name="from"/> agrees to. The reply is then sent from that
    /// mailbox or not at all: if it cannot send when the background sender gets to it, the reply fails visibly.
    /// </summary>
    /// <exception cref="ReplySenderException">The reply would go from another mailbox than the one confirmed, or the fallback was refused.</exception>
    /// <exception cref="ArgumentException">Empty body or attachments over the size limit (the message says what to change).</exception>
    /// <exception cref="KeyNotFoundException">No such ticket.</exception>
    Task<OutboundInfo> SendAsync(int ticketId, ReplyAuthor author, string bodyHtml, IReadOnlyList<ReplyAttachment> attachments, ReplyFrom from, CancellationToken cancellationToken = default);

    Task<OutboundInfo?> GetAsync(long outboundMessageId, CancellationToken cancellationToken = default);

    /// <summary>The outbound state of a ticket's thread entries, by ticket message id.</summary>
    Task<IReadOnlyDictionary<long, OutboundInfo>> ForTicketAsync(int ticketId, CancellationToken cancellationToken = default);

    /// <summary>Queues a failed (or waiting) message again now; null when no such message.</summary>
    Task<OutboundInfo?> RetryAsync(long outboundMessageId, Actor actor, CancellationToken cancellationToken = default);
}

internal sealed class Replies(
    IDbContextFactory<PortalDbContext> contexts,
    OutboundSender sender,
    OutboundSignal signal,
    OutboundEvents events,
    IDeployment deployment,
    TimeProvider time) : IReplies
{
    public async Task<ReplySenderPlan> PlanSenderAsync(int ticketId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var ticket = await db.Set<Ticket>().AsNoTracking().Where(t => t.Id == ticketId).Select(t => new { t.MailboxId }).SingleOrDefaultAsync(cancellationToken)
            ?? throw new KeyNotFoundException($"Ticket {ticketId} does not exist.");
        return await sender.PlanReplyAsync(db, ticket.MailboxId, cancellationToken);
    }

    public Task<OutboundInfo> SendAsync(int ticketId, ReplyAuthor author, string bodyHtml, IReadOnlyList<ReplyAttachment> attachments, CancellationToken cancellationToken = default) =>
        SendAsync(ticketId, author, bodyHtml, attachments, ReplyFrom.Planned, cancellationToken);

    public async Task<OutboundInfo> SendAsync(int ticketId, ReplyAuthor author, string bodyHtml, IReadOnlyList<ReplyAttachment> attachments, ReplyFrom from, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(from);
        var html = EmailHtmlSanitizer.SanitizeOutgoing(bodyHtml ?? "");
        var text = BodyText.HtmlToText(html).Trim();
        if (text.Length == 0)
        {
            throw new ArgumentException("Write the reply before sending it.", "bodyHtml");
        }

        attachments ??= [];
        if (attachments.Any(a => string.IsNullOrWhiteSpace(a.Name)))
        {
            throw new ArgumentException("Every attachment needs a file name.", "attachments");
        }

        var total = attachments.Sum(a => (long)a.Content.Length);
        if (total > ReplyLimits.MaxAttachmentBytes)
        {
            throw new ArgumentException($"The attachments add up to {total / 1024.0 / 1024.0:F1} MB; at most {ReplyLimits.MaxAttachmentText} can be sent in one reply (Exchange Online's limit). Remove some or share large files by link.", "attachments");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var ticket = await db.Set<Ticket>().Include(t => t.Requester).SingleOrDefaultAsync(t => t.Id == ticketId, cancellationToken)
            ?? throw new KeyNotFoundException($"Ticket {ticketId} does not exist.");
        var to = ticket.Requester?.Email ?? throw new ArgumentException("The ticket has no requester to reply to.", "ticketId");
        var parent = await db.Set<TicketMessage>().AsNoTracking()
            .Where(m => m.TicketId == ticketId && m.Direction == MessageDirection.Inbound && m.InternetMessageId != null)
            .OrderByDescending(m => m.SentAt).ThenByDescending(m => m.Id)
            .Select(m => new { m.InternetMessageId, m.References })
            .FirstOrDefaultAsync(cancellationToken);
        var references = (parent?.References ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Append(parent?.InternetMessageId)
            .Where(r => !string.IsNullOrEmpty(r)).Distinct().ToList();
        var now = time.GetUtcNow();
        var subject = $"RE: {TicketSubject.Tag(ticket.Number)} {ticket.Subject}";
        if (subject.Length > 1000)
        {
            subject = subject[..1000];
        }

        var messageId = OutboundMime.NewMessageId(deployment.DeploymentId);
        var plan = await sender.PlanReplyAsync(db, ticket.MailboxId, cancellationToken);
        await EnsureAgreedAsync(db, ticketId, plan, from, cancellationToken);
        // Without a mailbox that can send now, the reply waits for the ticket's own mailbox (it fails visibly, Retry now sends it).
        var sendingMailboxId = plan.Sender?.Id ?? ticket.MailboxId;
        var authorName = author.DisplayName;
        if (authorName is null && author.Actor.Kind == ActorKind.User)
        {
            authorName = await db.Users.Where(u => u.UserName == author.Actor.Name).Select(u => u.DisplayName).FirstOrDefaultAsync(cancellationToken);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var entry = new TicketMessage
        {
            TicketId = ticket.Id,
            Direction = MessageDirection.Outbound,
            From = plan.Sender?.Address ?? "",
            FromName = authorName ?? author.Actor.ToString(),
            To = to,
            Subject = subject,
            SentAt = now,
            BodyHtml = html,
            BodyText = text,
            InternetMessageId = messageId,
            InReplyTo = parent?.InternetMessageId,
            References = references.Count == 0 ? null : string.Join(' ', references),
            CreatedAt = now,
            Attachments = attachments.Select(a => new TicketAttachment
            {
                Name = a.Name.Length > 512 ? a.Name[..512] : a.Name,
                ContentType = string.IsNullOrWhiteSpace(a.ContentType) ? "application/octet-stream" : a.ContentType,
                Size = a.Content.LongLength,
                Content = a.Content,
            }).ToList(),
        };
        db.Add(entry);
        ticket.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);

        var outbound = new OutboundMessage
        {
            Kind = OutboundKind.Reply,
            TicketId = ticket.Id,
            TicketMessageId = entry.Id,
            PreferredMailboxId = sendingMailboxId,
            To = to,
            ToName = ticket.Requester.Name,
            Subject = subject,
            BodyHtml = html,
            InternetMessageId = messageId,
            InReplyTo = entry.InReplyTo,
            References = entry.References,
            CreatedBy = author.Actor.ToString(),
            CreatedAt = now,
            NextAttemptAt = now,
        };
        db.Add(outbound);
        db.Audit(time, author.Actor, "Ticket.ReplyQueued", "Ticket", ticket.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), null,
            new { To = to, Subject = subject, Attachments = attachments.Select(a => a.Name).ToList(), From = plan.Sender?.ToString(), plan.IsFallback, plan.FallbackReason });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        signal.Wake();
        events.Raise(new OutboundChange(outbound.Id, outbound.TicketId, outbound.Status));
        return ToInfo(outbound, ticket.MailboxId) with { FallbackReason = plan.IsFallback ? plan.FallbackReason : null };
    }

    /// <summary>Refuses a reply that would leave from a mailbox the agent (or script) did not agree to.</summary>
    private static async Task EnsureAgreedAsync(PortalDbContext db, int ticketId, ReplySenderPlan plan, ReplyFrom from, CancellationToken cancellationToken)
    {
        if (from.MailboxId is { } confirmedId)
        {
            if (plan.Sender?.Id == confirmedId)
            {
                return;
            }

            var confirmedName = await db.Set<Mailboxes.Mailbox>().Where(m => m.Id == confirmedId).Select(m => m.Name).SingleOrDefaultAsync(cancellationToken);
            var confirmed = confirmedName is null ? $"mailbox {confirmedId} (which does not exist)" : $"'{confirmedName}'";
            var now = plan.Sender is { } other
                ? $"It would now go from {other}{(plan.IsFallback ? $", the default outgoing mailbox. {plan.FallbackReason}" : ", the ticket's own mailbox.")}"
                : plan.Problem;
            throw new ReplySenderException("SenderChanged",
                $"The reply was not sent: it was to go from {confirmed}, which is no longer the mailbox that can send it. {now}",
                $"Check the From address shown for ticket {ticketId} and send again from the mailbox shown; nothing was sent.",
                plan);
        }

        if (!from.AllowFallback && plan.FallbackReason is { } reason)
        {
            throw new ReplySenderException("TicketMailboxCannotSend",
                $"The reply was not sent: {reason} Sending from another mailbox was not allowed.",
                plan.Sender is { } fallback
                    ? $"Connect the ticket's mailbox (Configuration > Email > Mailboxes > Credentials) and send again, or allow sending from the default outgoing mailbox {fallback}."
                    : plan.Problem ?? "Connect the ticket's mailbox (Configuration > Email > Mailboxes > Credentials) and send again.",
                plan);
        }
    }

    public async Task<OutboundInfo?> GetAsync(long outboundMessageId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<OutboundMessage>().AsNoTracking().SingleOrDefaultAsync(m => m.Id == outboundMessageId, cancellationToken);
        return row is null ? null : ToInfo(row, await TicketMailboxAsync(db, row.TicketId, cancellationToken));
    }

    public async Task<IReadOnlyDictionary<long, OutboundInfo>> ForTicketAsync(int ticketId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Set<OutboundMessage>().AsNoTracking().Where(m => m.TicketId == ticketId && m.TicketMessageId != null).ToListAsync(cancellationToken);
        var ticketMailboxId = await TicketMailboxAsync(db, ticketId, cancellationToken);
        return rows.GroupBy(r => r.TicketMessageId!.Value).ToDictionary(g => g.Key, g => ToInfo(g.OrderByDescending(r => r.Id).First(), ticketMailboxId));
    }

    public async Task<OutboundInfo?> RetryAsync(long outboundMessageId, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<OutboundMessage>().SingleOrDefaultAsync(m => m.Id == outboundMessageId, cancellationToken);
        if (row is null)
        {
            return null;
        }

        if (row.Status is OutboundStatus.Failed or OutboundStatus.Queued)
        {
            var before = new { row.Status, row.Attempts, row.LastErrorCode };
            row.Status = OutboundStatus.Queued;
            row.NextAttemptAt = time.GetUtcNow();
            if (before.Status == OutboundStatus.Failed)
            {
                row.Attempts = 0;
            }

            db.Audit(time, actor, "Outbound.Retried", "OutboundMessage", row.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), before, new { row.Status });
            await db.SaveChangesAsync(cancellationToken);
            signal.Wake();
            events.Raise(new OutboundChange(row.Id, row.TicketId, row.Status));
        }

        return ToInfo(row, await TicketMailboxAsync(db, row.TicketId, cancellationToken));
    }

    private static async Task<int?> TicketMailboxAsync(PortalDbContext db, int? ticketId, CancellationToken cancellationToken) => ticketId is { } id
        ? await db.Set<Ticket>().Where(t => t.Id == id).Select(t => t.MailboxId).FirstOrDefaultAsync(cancellationToken)
        : null;

    /// <summary>Replies name the mailbox they go out from (the one chosen when queued) and whether it stood in for the ticket's own.</summary>
    internal static OutboundInfo ToInfo(OutboundMessage m, int? ticketMailboxId)
    {
        var reply = m.Kind == OutboundKind.Reply;
        return new(m.Id, m.Kind, m.Status, m.TicketId, m.TicketMessageId, m.To, m.Subject, m.InternetMessageId,
            m.Attempts, m.NextAttemptAt, m.LastErrorCode, m.LastError, m.SentFrom, m.CreatedAt, m.SentAt,
            FromMailboxId: reply ? m.PreferredMailboxId : null,
            Fallback: reply && m.PreferredMailboxId is not null && m.PreferredMailboxId != ticketMailboxId);
    }
}
