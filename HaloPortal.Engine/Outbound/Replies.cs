using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion.Parsing;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tickets;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Outbound;

/// <summary>Limits of a reply.</summary>
public static class ReplyLimits
{
    /// <summary>Graph's sendMail takes at most 4 MB; the MIME is base64 inside base64, so attachments must stay well below.</summary>
    public const long MaxAttachmentBytes = 2 * 1024 * 1024;
}

/// <summary>A file attached to a reply.</summary>
public sealed record ReplyAttachment(string Name, string ContentType, byte[] Content);

/// <summary>Who writes a reply: the actor (audit) and the name shown on the thread.</summary>
public sealed record ReplyAuthor(Actor Actor, string? DisplayName);

/// <summary>An outbound message's state, as shown on the ticket and returned by the API.</summary>
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
    DateTimeOffset? SentAt);

/// <summary>
/// Replies from a ticket. A reply is stored first (an <see cref="OutboundMessage"/> and an outbound entry on the thread, in one
/// transaction), then sent in the background; failures are retried and stay visible until sent or retried by hand.
/// </summary>
public interface IReplies
{
    /// <summary>Queues a reply to the ticket's requester.</summary>
    /// <exception cref="ArgumentException">Empty body or attachments over the size limit (the message says what to change).</exception>
    /// <exception cref="KeyNotFoundException">No such ticket.</exception>
    Task<OutboundInfo> SendAsync(int ticketId, ReplyAuthor author, string bodyHtml, IReadOnlyList<ReplyAttachment> attachments, CancellationToken cancellationToken = default);

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
    public async Task<OutboundInfo> SendAsync(int ticketId, ReplyAuthor author, string bodyHtml, IReadOnlyList<ReplyAttachment> attachments, CancellationToken cancellationToken = default)
    {
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
            throw new ArgumentException($"The attachments add up to {total / 1024.0 / 1024.0:F1} MB; at most 2 MB can be sent in one reply. Remove some or share large files by link.", "attachments");
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
        var from = await sender.ResolveSenderAsync(db, ticket.MailboxId, cancellationToken);
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
            From = from?.Address ?? "",
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
            PreferredMailboxId = ticket.MailboxId,
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
            new { To = to, Subject = subject, Attachments = attachments.Select(a => a.Name).ToList() });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        signal.Wake();
        events.Raise(new OutboundChange(outbound.Id, outbound.TicketId, outbound.Status));
        return ToInfo(outbound);
    }

    public async Task<OutboundInfo?> GetAsync(long outboundMessageId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<OutboundMessage>().AsNoTracking().SingleOrDefaultAsync(m => m.Id == outboundMessageId, cancellationToken);
        return row is null ? null : ToInfo(row);
    }

    public async Task<IReadOnlyDictionary<long, OutboundInfo>> ForTicketAsync(int ticketId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Set<OutboundMessage>().AsNoTracking().Where(m => m.TicketId == ticketId && m.TicketMessageId != null).ToListAsync(cancellationToken);
        return rows.GroupBy(r => r.TicketMessageId!.Value).ToDictionary(g => g.Key, g => ToInfo(g.OrderByDescending(r => r.Id).First()));
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

        return ToInfo(row);
    }

    internal static OutboundInfo ToInfo(OutboundMessage m) => new(m.Id, m.Kind, m.Status, m.TicketId, m.TicketMessageId, m.To, m.Subject, m.InternetMessageId,
        m.Attempts, m.NextAttemptAt, m.LastErrorCode, m.LastError, m.SentFrom, m.CreatedAt, m.SentAt);
}
