using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tickets;
using HaloPortal.Hosting;

namespace HaloPortal.Api;

/// <summary>The inbound log with its requests and replay, and tickets (imports: <see cref="ImportRunsApi"/>).</summary>
internal static class IngestionApi
{
    public static void MapIngestionApi(this RouteGroupBuilder api)
    {
        var inbound = api.MapGroup("/inbound-emails").RequireAuthorization(PortalPolicies.Support).WithTags("Inbound log");
        inbound.MapGet("", async (int? mailboxId, InboundStatus? status, DateTimeOffset? from, DateTimeOffset? to, string? sender, string? subject, string? rule, int? page, int? pageSize, IInboundLog log, CancellationToken ct) =>
        {
            var result = await log.QueryAsync(new InboundQuery(mailboxId, status, from, to, sender, subject, rule, page ?? 1, pageSize ?? 50), ct);
            return TypedResults.Ok(new ItemsPage<InboundEmailDto>([.. result.Items.Select(InboundEmailDto.Of)], result.Total));
        }).WithName("ListInboundEmails");

        inbound.MapGet("/export.csv", async (int? mailboxId, InboundStatus? status, DateTimeOffset? from, DateTimeOffset? to, string? sender, string? subject, string? rule, IInboundLog log, CancellationToken ct) =>
            TypedResults.File(System.Text.Encoding.UTF8.GetBytes(await log.ExportCsvAsync(new InboundQuery(mailboxId, status, from, to, sender, subject, rule), ct)), "text/csv", "inbound-log.csv"))
            .WithName("ExportInboundEmails");

        inbound.MapGet("/{id:long}", async Task<IResult> (long id, IInboundLog log, CancellationToken ct) =>
            await log.GetAsync(id, ct) is { } d
                ? TypedResults.Ok(new InboundEmailDetailsDto(
                    d.Email.Id, d.Email.MailboxId, d.Email.InternetMessageId, d.Email.Subject, d.Email.From, d.Email.Status, d.Email.TicketId, d.Email.TicketNumber,
                    d.Email.Rule, d.Email.Reason, d.Email.ErrorCode, d.Email.FoundBy, d.Email.SizeBytes, d.Email.ReceivedAt, d.Email.CreatedAt,
                    d.Stage, d.Attempts, d.NextAttemptAt, d.Email.LastError, d.Email.LastErrorAt, d.HasRawMime,
                    [.. d.Requests.Select(r => new InboundRequestDto(r.Id, r.Kind, r.ReceivedAt, r.CompletedAt, r.Outcome, r.RawContentType, r.ReplayOfRequestId, r.Log) { RawPurgedAt = r.RawPurgedAt })])
                    { RawPurgedAt = d.RawPurgedAt })
                : TypedResults.Problem(title: "Not found", detail: $"Inbound email {id} does not exist.", statusCode: 404))
            .Produces<InboundEmailDetailsDto>().WithName("GetInboundEmail");

        inbound.MapGet("/{id:long}/mime", async Task<IResult> (long id, IInboundLog log, CancellationToken ct) =>
            await log.GetEmailMimeAsync(id, ct) is { } raw ? TypedResults.File(raw.Content, raw.ContentType, raw.FileName)
                : await log.GetAsync(id, ct) is { RawPurgedAt: { } purged }
                    ? TypedResults.Problem(title: "Removed by data retention", statusCode: 404,
                        detail: $"The raw message of inbound email {id} was removed by data retention on {purged:yyyy-MM-dd} UTC (Configuration › Advanced › Data Retention). A replay fetches it again while it is still in the mailbox.")
                    : TypedResults.Problem(title: "Not found", detail: $"Inbound email {id} has no raw message (it was never fetched).", statusCode: 404))
            .WithName("DownloadInboundEmailMime");

        var requests = api.MapGroup("/inbound-requests").RequireAuthorization(PortalPolicies.Support).WithTags("Inbound log");
        requests.MapGet("/{id:long}/raw", async Task<IResult> (long id, IInboundLog log, CancellationToken ct) =>
            await log.GetRequestRawAsync(id, ct) is { } raw ? TypedResults.File(raw.Content, raw.ContentType, raw.FileName)
                : TypedResults.Problem(title: "Not found", detail: $"Request {id} does not exist.", statusCode: 404))
            .WithName("GetInboundRequestRaw");
        requests.MapPost("/{id:long}/replay", async Task<IResult> (long id, IInboundReplays replays, ICurrentActor actor, CancellationToken ct) =>
        {
            try
            {
                return TypedResults.Accepted($"/api/v1/inbound-requests/{id}", new ReplayQueued(await replays.ReplayAsync(id, actor.Get(), ct)));
            }
            catch (ReplayRefusedException ex)
            {
                return TypedResults.Problem(title: "The email is not failed", detail: ex.Message, statusCode: StatusCodes.Status409Conflict);
            }
        }).Produces<ReplayQueued>(StatusCodes.Status202Accepted).WithName("ReplayInboundRequest")
          .WithDescription("Queues a new attempt for the request's email. 409 while the email is still in progress (processing, or waiting for a planned retry): replay is for failed emails. An email that already made a ticket or was ignored is replayed harmlessly (its new request says so).");

        var tickets = api.MapGroup("/tickets").RequireAuthorization(PortalPolicies.Agent).WithTags("Tickets");
        tickets.MapGet("", async (int? mailboxId, string? q, int? page, int? pageSize, ITickets service, CancellationToken ct) =>
        {
            var result = await service.QueryAsync(new TicketQuery(mailboxId, q, page ?? 1, pageSize ?? 25), ct);
            return TypedResults.Ok(new ItemsPage<TicketRowDto>([.. result.Items.Select(TicketRowDto.Of)], result.Total));
        }).WithName("ListTickets");
        tickets.MapGet("/{id:int}", async Task<IResult> (int id, ITickets service, CancellationToken ct) =>
            await service.GetAsync(id, ct) is { } d
                ? TypedResults.Ok(new TicketDto(
                    d.Ticket.Id, d.Ticket.Number, d.Ticket.Subject, d.Ticket.Status, d.Ticket.Priority, d.Ticket.Category, d.Ticket.RequesterEmail, d.Ticket.RequesterName,
                    d.Ticket.MailboxId, d.Ticket.MessageCount, d.Ticket.CreatedAt, d.Ticket.UpdatedAt, d.Ticket.LinkedTicketId, d.Linked,
                    [.. d.Messages.Select(m => new TicketMessageDto(m.Id, m.Direction, m.From, m.To, m.Cc, m.Subject, m.SentAt, m.BodyHtml, m.BodyText, m.InboundEmailId, m.Attachments))]))
                : TypedResults.Problem(title: "Not found", detail: $"Ticket {id} does not exist.", statusCode: 404))
            .Produces<TicketDto>().WithName("GetTicket");
    }

    /// <summary>Attachment downloads for the portal's pages (cookie) — inline images are served with their type, everything else as a download.</summary>
    public static void MapAttachmentDownloads(this WebApplication app)
    {
        app.MapGet("/attachments/{id:long}", async Task<IResult> (long id, ITickets tickets, CancellationToken ct) =>
        {
            var attachment = await tickets.GetAttachmentAsync(id, ct);
            if (attachment is null)
            {
                return TypedResults.NotFound();
            }

            var inlineSafe = attachment.ContentType is "image/png" or "image/jpeg" or "image/gif" or "image/webp";
            return inlineSafe
                ? TypedResults.File(attachment.Content, attachment.ContentType)
                : TypedResults.File(attachment.Content, "application/octet-stream", attachment.Name);
        }).RequireAuthorization(PortalPolicies.Agent).ExcludeFromDescription();

        app.MapGet("/inbound/{kind}/{id:long}/download", async Task<IResult> (string kind, long id, IInboundLog log, CancellationToken ct) =>
        {
            var raw = kind == "request" ? await log.GetRequestRawAsync(id, ct) : await log.GetEmailMimeAsync(id, ct);
            return raw is null ? TypedResults.NotFound() : TypedResults.File(raw.Content, raw.ContentType == "message/rfc822" ? "message/rfc822" : "application/json", raw.FileName);
        }).RequireAuthorization(PortalPolicies.Support).ExcludeFromDescription();

        // The inbound log screens' CSV export (cookie; /api/v1 needs an API key).
        app.MapGet("/inbound/export.csv", async (int? mailboxId, InboundStatus? status, DateTimeOffset? from, DateTimeOffset? to, string? sender, string? subject, string? rule, IInboundLog log, CancellationToken ct) =>
            TypedResults.File(System.Text.Encoding.UTF8.GetBytes(await log.ExportCsvAsync(new InboundQuery(mailboxId, status, from, to, sender, subject, rule), ct)), "text/csv", "inbound-log.csv"))
            .RequireAuthorization(PortalPolicies.Support).ExcludeFromDescription();
    }

    /// <summary>One email of the inbound log.</summary>
    internal sealed record InboundEmailDto(
        long Id, int MailboxId, string? InternetMessageId, string? Subject, string? From, InboundStatus Status, int? TicketId, int? TicketNumber, string? Rule, string? Reason,
        string? ErrorCode, RequestKind FoundBy, DateTimeOffset? ReceivedAt, DateTimeOffset CreatedAt, int Attempts, string? LastError, DateTimeOffset? LastErrorAt, DateTimeOffset? NextAttemptAt)
    {
        public static InboundEmailDto Of(InboundEmailRow r) => new(
            r.Id, r.MailboxId, r.InternetMessageId, r.Subject, r.From, r.Status, r.TicketId, r.TicketNumber, r.Rule, r.Reason, r.ErrorCode, r.FoundBy, r.ReceivedAt, r.CreatedAt,
            r.Attempts, r.LastError, r.LastErrorAt, r.NextAttemptAt);
    }

    internal sealed record InboundRequestDto(long Id, RequestKind Kind, DateTimeOffset ReceivedAt, DateTimeOffset? CompletedAt, RequestOutcome Outcome, string RawContentType,
        long? ReplayOfRequestId, IReadOnlyList<LogLine> Log)
    {
        /// <summary>When data retention removed this attempt's raw data (absent while it is kept).</summary>
        public DateTimeOffset? RawPurgedAt { get; init; }
    }

    /// <summary>One email of the inbound log with where it stands and every request (attempt) with its log.</summary>
    internal sealed record InboundEmailDetailsDto(
        long Id, int MailboxId, string? InternetMessageId, string? Subject, string? From, InboundStatus Status, int? TicketId, int? TicketNumber, string? Rule, string? Reason,
        string? ErrorCode, RequestKind FoundBy, long? SizeBytes, DateTimeOffset? ReceivedAt, DateTimeOffset CreatedAt, InboundStage Stage, int Attempts, DateTimeOffset? NextAttemptAt,
        string? LastError, DateTimeOffset? LastErrorAt, bool HasRawMime, IReadOnlyList<InboundRequestDto> Requests)
    {
        /// <summary>When data retention removed the raw message (absent while it is kept).</summary>
        public DateTimeOffset? RawPurgedAt { get; init; }
    }

    /// <summary>The new request a replay queued.</summary>
    internal sealed record ReplayQueued(long RequestId);

    internal sealed record TicketRowDto(
        int Id, int Number, string Subject, TicketStatus Status, TicketPriority Priority, string? Category, string RequesterEmail, int? MailboxId, string? MailboxName,
        int MessageCount, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int? LinkedTicketId)
    {
        public static TicketRowDto Of(TicketRow t) => new(
            t.Id, t.Number, t.Subject, t.Status, t.Priority, t.Category, t.RequesterEmail, t.MailboxId, t.MailboxName, t.MessageCount, t.CreatedAt, t.UpdatedAt, t.LinkedTicketId);
    }

    internal sealed record TicketMessageDto(
        long Id, MessageDirection Direction, string From, string To, string Cc, string Subject, DateTimeOffset SentAt, string? BodyHtml, string? BodyText, long? InboundEmailId,
        IReadOnlyList<AttachmentInfo> Attachments);

    /// <summary>A ticket with its linked tickets and its thread (HTML bodies sanitised).</summary>
    internal sealed record TicketDto(
        int Id, int Number, string Subject, TicketStatus Status, TicketPriority Priority, string? Category, string RequesterEmail, string RequesterName, int? MailboxId,
        int MessageCount, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int? LinkedTicketId, IReadOnlyList<LinkedTicket> Linked, IReadOnlyList<TicketMessageDto> Messages);
}
