using System.Security.Claims;
using HaloPortal.Engine.Notifications;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Portal;
using HaloPortal.Hosting;

namespace HaloPortal.Api;

/// <summary>Replies from tickets, outbound message state, and the caller's notifications.</summary>
internal static class OutboundApi
{
    public sealed record ReplyAttachmentBody(string? Name, string? ContentType, string? ContentBase64);

    /// <param name="FromMailboxId">Send only from this mailbox (as <c>GET /tickets/{id}/reply-sender</c> planned it); 409 when the reply would go from another.</param>
    /// <param name="AllowFallback">false: send only from the ticket's own mailbox; 409 when it cannot send. Default true.</param>
    public sealed record ReplyBody(string? BodyHtml, IReadOnlyList<ReplyAttachmentBody>? Attachments, int? FromMailboxId = null, bool? AllowFallback = null);

    public static void MapOutboundApi(this RouteGroupBuilder api)
    {
        api.MapPost("/tickets/{id:int}/replies", async Task<IResult> (int id, ReplyBody body, IReplies replies, ICurrentActor actor, CancellationToken ct) =>
        {
            var attachments = new List<ReplyAttachment>();
            foreach (var a in body.Attachments ?? [])
            {
                byte[] content;
                try
                {
                    content = Convert.FromBase64String(a.ContentBase64 ?? "");
                }
                catch (FormatException)
                {
                    throw new ArgumentException($"The attachment '{a.Name}' is not valid base64: send the file's bytes base64-encoded in contentBase64.", "attachments");
                }

                attachments.Add(new ReplyAttachment(a.Name ?? "", a.ContentType ?? "application/octet-stream", content));
            }

            try
            {
                var from = body.FromMailboxId is { } mailboxId ? ReplyFrom.Confirmed(mailboxId)
                    : body.AllowFallback == false ? ReplyFrom.TicketMailboxOnly
                    : ReplyFrom.Planned;
                var queued = await replies.SendAsync(id, new ReplyAuthor(actor.Get(), null), body.BodyHtml ?? "", attachments, from, ct);
                return TypedResults.Accepted($"/api/v1/outbound-messages/{queued.Id}", Shape(queued));
            }
            catch (KeyNotFoundException)
            {
                return TypedResults.Problem(title: "Not found", detail: $"Ticket {id} does not exist.", statusCode: 404);
            }
            catch (ReplySenderException refused)
            {
                return TypedResults.Problem(title: "The reply would go from another mailbox", detail: refused.Message, statusCode: StatusCodes.Status409Conflict,
                    extensions: new Dictionary<string, object?> { ["code"] = refused.Code, ["fix"] = refused.Fix, ["sender"] = PlanShape(refused.Plan) });
            }
        }).RequireAuthorization(PortalPolicies.Agent).WithTags("Tickets").Produces<OutboundMessageDto>(StatusCodes.Status202Accepted).WithName("ReplyToTicket")
          .WithSummary("Queues a reply to the ticket's requester (stored first, sent in the background); 202 with the outbound message's id, status and the mailbox it goes out from. "
              + "fromMailboxId sends only from that mailbox and allowFallback=false only from the ticket's own: otherwise 409 with the current plan.")
          .ProducesValidationProblem()
          // Up to 150 MB of attachments, base64 in JSON (4/3 of it) with room for the body: above Kestrel's 30 MB default.
          .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(ReplyLimits.MaxAttachmentBytes * 4 / 3 + 16 * 1024 * 1024));

        api.MapGet("/tickets/{id:int}/reply-sender", async Task<IResult> (int id, IReplies replies, CancellationToken ct) =>
        {
            try
            {
                return TypedResults.Ok(PlanShape(await replies.PlanSenderAsync(id, ct)));
            }
            catch (KeyNotFoundException)
            {
                return TypedResults.Problem(title: "Not found", detail: $"Ticket {id} does not exist.", statusCode: 404);
            }
        }).RequireAuthorization(PortalPolicies.Agent).WithTags("Tickets").Produces<ReplySenderDto>().WithName("GetReplySender")
          .WithSummary("Which mailbox a reply to the ticket would go out from now: the ticket's own, or the default outgoing mailbox (fallback, with the reason); sender is null when none can send.");

        var outbound = api.MapGroup("/outbound-messages").RequireAuthorization(PortalPolicies.Agent).WithTags("Tickets");
        outbound.MapGet("/{id:long}", async Task<IResult> (long id, IReplies replies, CancellationToken ct) =>
            await replies.GetAsync(id, ct) is { } info ? TypedResults.Ok(Shape(info))
                : TypedResults.Problem(title: "Not found", detail: $"Outbound message {id} does not exist.", statusCode: 404))
            .Produces<OutboundMessageDto>().WithName("GetOutboundMessage").WithSummary("The sending state of a reply: Queued, Sending, Sent or Failed, with the last error.");
        outbound.MapPost("/{id:long}/retry", async Task<IResult> (long id, IReplies replies, ICurrentActor actor, CancellationToken ct) =>
            await replies.RetryAsync(id, actor.Get(), ct) is { } info ? TypedResults.Accepted($"/api/v1/outbound-messages/{id}", Shape(info))
                : TypedResults.Problem(title: "Not found", detail: $"Outbound message {id} does not exist.", statusCode: 404))
            .Produces<OutboundMessageDto>(StatusCodes.Status202Accepted).WithName("RetryOutboundMessage").WithSummary("Queues a failed message again now.");

        api.MapGet("/notifications", async Task<IResult> (string? agentEmail, bool? unreadOnly, int? page, int? pageSize, ClaimsPrincipal user, INotifications notifications, CancellationToken ct) =>
        {
            var userId = user.FindFirstValue(ClaimTypes.NameIdentifier);
            if (!string.IsNullOrWhiteSpace(agentEmail))
            {
                if (!user.IsInRole(PortalRoles.Administrator))
                {
                    return TypedResults.Problem(title: "Forbidden", detail: "Only administrators can read another agent's notifications (agentEmail).", statusCode: 403);
                }

                userId = await notifications.FindAgentIdAsync(agentEmail, ct);
                if (userId is null)
                {
                    return TypedResults.Problem(title: "Not found", detail: $"No agent has the email address {agentEmail}.", statusCode: 404);
                }
            }

            if (userId is null)
            {
                return TypedResults.Problem(title: "API keys have no notification inbox",
                    detail: "Notifications belong to agents. With an Administrator key, add ?agentEmail= to read an agent's notifications.", statusCode: 403);
            }

            return TypedResults.Ok(await notifications.ListAsync(userId, unreadOnly == true, page ?? 1, pageSize ?? 50, ct));
        }).Produces<NotificationPage>().WithTags("Notifications").WithName("ListNotifications")
          .WithSummary("The caller's error notifications. API keys have no inbox: administrators pass ?agentEmail= to read an agent's; otherwise 403.");
    }

    private static OutboundMessageDto Shape(OutboundInfo m) => new(
        m.Id, m.Kind, m.Status, m.TicketId, m.TicketMessageId, m.To, m.Subject, m.InternetMessageId, m.Attempts, m.NextAttemptAt,
        m.LastErrorCode, m.LastError, m.SentFrom, m.CreatedAt, m.SentAt,
        m.FromMailboxId, m.Fallback, m.FallbackReason,
        m.Status == OutboundStatus.Sent ? m.FromMailboxId : null);

    private static ReplySenderDto PlanShape(ReplySenderPlan plan) => new(MailboxShape(plan.Sender), MailboxShape(plan.TicketMailbox), plan.IsFallback, plan.FallbackReason, plan.Problem);

    private static ReplyMailboxDto? MailboxShape(ReplyMailbox? mailbox) => mailbox is null ? null : new(mailbox.Id, mailbox.Name, mailbox.Address);

    /// <summary>A reply or notification on its way out; <c>sentFromMailboxId</c> is set once it was sent.</summary>
    internal sealed record OutboundMessageDto(
        long Id, OutboundKind Kind, OutboundStatus Status, int? TicketId, long? TicketMessageId, string To, string Subject, string InternetMessageId, int Attempts,
        DateTimeOffset? NextAttemptAt, string? LastErrorCode, string? LastError, string? SentFrom, DateTimeOffset CreatedAt, DateTimeOffset? SentAt,
        int? FromMailboxId, bool Fallback, string? FallbackReason, int? SentFromMailboxId);

    /// <summary>Which mailbox a reply would go out from: <c>sender</c> (null when none can send) and the ticket's own.</summary>
    internal sealed record ReplySenderDto(ReplyMailboxDto? Sender, ReplyMailboxDto? TicketMailbox, bool Fallback, string? FallbackReason, string? Problem);

    internal sealed record ReplyMailboxDto(int MailboxId, string Name, string? Address);
}
