using HaloPortal.Engine.Data;
using HaloPortal.Engine.EndUsers;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Tickets;

/// <param name="OpenOnly">Only tickets still being worked (not Resolved or Closed).</param>
public sealed record TicketQuery(int? MailboxId = null, string? Search = null, int Page = 1, int PageSize = 25, int? RequesterId = null, bool OpenOnly = false);

public sealed record TicketRow(int Id, int Number, string Subject, TicketStatus Status, TicketPriority Priority, string? Category, string RequesterEmail, string RequesterName,
    int? MailboxId, int MessageCount, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int? LinkedTicketId, string? MailboxName = null);

public sealed record TicketPage(IReadOnlyList<TicketRow> Items, int Total);

public sealed record AttachmentInfo(long Id, string Name, long Size, string ContentType, bool IsInline);

/// <summary>A message of a ticket's thread. Read through <see cref="ITickets"/>, its HTML bodies are sanitised for display (<see cref="MessageBodies"/>).</summary>
public sealed record TicketMessageView(long Id, MessageDirection Direction, string From, string? FromName, string To, string Cc, string Subject, DateTimeOffset SentAt,
    string? BodyHtml, string? BodyText, string? FullBodyHtml, long? InboundEmailId, IReadOnlyList<AttachmentInfo> Attachments)
{
    /// <summary>The HTML has remote images that were not loaded (see <see cref="MessageBodies.WithRemoteImages"/>).</summary>
    public bool HasBlockedImages { get; init; }
}

public sealed record LinkedTicket(int Id, int Number, string Subject, TicketStatus Status);

public sealed record TicketDetails(TicketRow Ticket, string? RequesterSite, IReadOnlyList<TicketMessageView> Messages, IReadOnlyList<LinkedTicket> Linked);

public sealed record AttachmentContent(string Name, string ContentType, byte[] Content);

/// <summary>Reading tickets: the list, a ticket with its thread, and attachments.</summary>
public interface ITickets
{
    Task<TicketPage> QueryAsync(TicketQuery query, CancellationToken cancellationToken = default);

    Task<TicketDetails?> GetAsync(int id, CancellationToken cancellationToken = default);

    Task<AttachmentContent?> GetAttachmentAsync(long id, CancellationToken cancellationToken = default);
}

internal sealed class TicketQueries(IDbContextFactory<PortalDbContext> contexts) : ITickets
{
    public async Task<TicketPage> QueryAsync(TicketQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var tickets = db.Set<Ticket>().AsNoTracking();
        if (query.MailboxId is { } mailboxId)
        {
            tickets = tickets.Where(t => t.MailboxId == mailboxId);
        }

        if (query.RequesterId is { } requesterId)
        {
            tickets = tickets.Where(t => t.RequesterId == requesterId);
        }

        if (query.OpenOnly)
        {
            tickets = tickets.Where(t => t.Status != TicketStatus.Resolved && t.Status != TicketStatus.Closed);
        }

        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var q = query.Search.Trim().TrimStart('#');
            var pattern = TextSearch.ContainsPattern(q);
            tickets = int.TryParse(q, out var number)
                ? tickets.Where(t => t.Number == number)
                : tickets.Where(t => EF.Functions.Like(t.Subject.ToLower(), pattern, TextSearch.Escape)
                    || EF.Functions.Like(t.Requester!.Email.ToLower(), pattern, TextSearch.Escape)
                    || EF.Functions.Like(t.Requester!.Name.ToLower(), pattern, TextSearch.Escape));
        }

        var total = await tickets.CountAsync(cancellationToken);
        var pageSize = Math.Clamp(query.PageSize, 1, 200);
        var items = await Project(db, tickets.OrderByDescending(t => t.UpdatedAt).ThenByDescending(t => t.Id)
            .Skip((Math.Max(1, query.Page) - 1) * pageSize).Take(pageSize)).ToListAsync(cancellationToken);
        return new TicketPage(items, total);
    }

    public async Task<TicketDetails?> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await Project(db, db.Set<Ticket>().AsNoTracking().Where(t => t.Id == id)).SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return null;
        }

        var site = await (from t in db.Set<Ticket>() where t.Id == id join s in db.Set<Site>() on t.Requester!.SiteId equals s.Id select s.Name).SingleOrDefaultAsync(cancellationToken);
        var messages = await db.Set<TicketMessage>().AsNoTracking().Where(m => m.TicketId == id).OrderBy(m => m.SentAt).ThenBy(m => m.Id)
            .Select(m => new TicketMessageView(m.Id, m.Direction, m.From, m.FromName, m.To, m.Cc, m.Subject, m.SentAt, m.BodyHtml, m.BodyText, m.FullBodyHtml, m.InboundEmailId,
                m.Attachments.OrderBy(a => a.Id).Select(a => new AttachmentInfo(a.Id, a.Name, a.Size, a.ContentType, a.IsInline)).ToList()))
            .ToListAsync(cancellationToken);
        messages = messages.Select(ForDisplay).ToList();
        var linked = await db.Set<Ticket>().AsNoTracking().Where(t => t.LinkedTicketId == id || t.Id == row.LinkedTicketId)
            .Select(t => new LinkedTicket(t.Id, t.Number, t.Subject, t.Status)).ToListAsync(cancellationToken);
        return new TicketDetails(row, site, messages, linked);
    }

    public async Task<AttachmentContent?> GetAttachmentAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<TicketAttachment>().AsNoTracking().Where(a => a.Id == id)
            .Select(a => new AttachmentContent(a.Name, a.ContentType, a.Content)).SingleOrDefaultAsync(cancellationToken);
    }

    // Stored HTML is sanitised again on the way out: old tickets follow the current policy, and nothing unsafe leaves by this door.
    private static TicketMessageView ForDisplay(TicketMessageView message)
    {
        var body = MessageBodies.ForDisplay(message.BodyHtml);
        var full = message.FullBodyHtml == message.BodyHtml ? body : MessageBodies.ForDisplay(message.FullBodyHtml);
        return message with
        {
            BodyHtml = body,
            FullBodyHtml = full,
            HasBlockedImages = MessageBodies.HasBlockedImages(body) || (!ReferenceEquals(full, body) && MessageBodies.HasBlockedImages(full)),
        };
    }

    private static IQueryable<TicketRow> Project(PortalDbContext db, IQueryable<Ticket> tickets) =>
        tickets.Select(t => new TicketRow(t.Id, t.Number, t.Subject, t.Status, t.Priority, t.Category, t.Requester!.Email, t.Requester!.Name, t.MailboxId,
            t.Messages.Count, t.CreatedAt, t.UpdatedAt, t.LinkedTicketId,
            db.Set<Mailboxes.Mailbox>().Where(m => m.Id == t.MailboxId).Select(m => m.Name).FirstOrDefault()));
}
