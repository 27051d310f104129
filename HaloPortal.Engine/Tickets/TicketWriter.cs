using HaloPortal.Engine.Data;
using HaloPortal.Engine.Parsing;
using HaloPortal.Engine.EndUsers;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Tickets;

/// <summary>What an email did to the tickets.</summary>
internal sealed record TicketOutcome(Ticket Ticket, bool Created, string Explanation);

/// <summary>Turns a parsed email into a new ticket or an update of the ticket it belongs to, inside the caller's transaction.</summary>
internal static class TicketWriter
{
    public static async Task<TicketOutcome> ApplyAsync(
        Data.PortalDbContext db,
        long inboundEmailId,
        int mailboxId,
        ParsedEmail email,
        TicketPriority? priority,
        string? category,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var sender = email.From?.Address ?? "unknown@invalid";
        var (existing, how) = await FindThreadAsync(db, email, sender, cancellationToken);

        Ticket ticket;
        bool created;
        string explanation;
        if (existing is not null && existing.Status != TicketStatus.Closed)
        {
            ticket = existing;
            created = false;
            ticket.UpdatedAt = now;
            if (ticket.Status is TicketStatus.WaitingOnRequester or TicketStatus.Resolved)
            {
                ticket.Status = TicketStatus.Open;
            }

            explanation = $"Added to ticket #{ticket.Number} ({how}).";
        }
        else
        {
            var requester = await Requesters.FindOrCreateAsync(db, sender, email.From?.Name, now, cancellationToken);
            ticket = new Ticket
            {
                Number = await NextNumberAsync(db, cancellationToken),
                Subject = Truncate(TicketSubject.Normalise(email.Subject) is { Length: > 0 } s ? s : "(no subject)", 1000),
                Requester = requester,
                MailboxId = mailboxId,
                Priority = priority ?? TicketPriority.Normal,
                Category = category,
                LinkedTicketId = existing?.Id,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Add(ticket);
            created = true;
            explanation = existing is null
                ? $"Opened ticket #{ticket.Number}."
                : $"Opened ticket #{ticket.Number}, linked to closed ticket #{existing.Number} ({how}).";
        }

        var message = new TicketMessage
        {
            InboundEmailId = inboundEmailId,
            Direction = MessageDirection.Inbound,
            From = sender,
            FromName = email.From?.Name,
            To = string.Join(", ", email.To.Select(a => a.Address)),
            Cc = string.Join(", ", email.Cc.Select(a => a.Address)),
            Subject = Truncate(email.Subject, 1000),
            SentAt = email.Date ?? now,
            BodyHtml = email.NewContentHtml ?? email.HtmlBody,
            BodyText = email.NewContentText ?? email.TextBody,
            FullBodyHtml = email.HtmlBody,
            InternetMessageId = email.MessageId,
            InReplyTo = email.InReplyTo,
            References = email.References.Count == 0 ? null : string.Join(' ', email.References),
            CreatedAt = now,
            Attachments = email.Attachments.Select(a => new TicketAttachment
            {
                Name = Truncate(a.FileName, 512),
                ContentType = a.ContentType,
                ContentId = a.ContentId,
                IsInline = a.IsInline,
                Size = a.Content.LongLength,
                Content = a.Content,
            }).ToList(),
        };
        ticket.Messages.Add(message);

        foreach (var address in new[] { sender }.Concat(email.To.Select(a => a.Address)).Concat(email.Cc.Select(a => a.Address)).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var lower = address.ToLowerInvariant();
            if (ticket.Participants.All(p => p.Email != lower) &&
                (created || !await db.Set<TicketParticipant>().AnyAsync(p => p.TicketId == ticket.Id && p.Email == lower, cancellationToken)))
            {
                ticket.Participants.Add(new TicketParticipant { Email = lower });
            }
        }

        await db.SaveChangesAsync(cancellationToken);

        // Inline images: point cid: links at the stored attachments, now that they have ids.
        if (message.Attachments.Any(a => a.ContentId is not null))
        {
            string? UrlFor(string contentId) =>
                message.Attachments.FirstOrDefault(a => string.Equals(a.ContentId?.Trim('<', '>'), contentId.Trim('<', '>'), StringComparison.OrdinalIgnoreCase)) is { } a
                    ? PortalRoutes.Attachment(a.Id)
                    : null;
            message.BodyHtml = message.BodyHtml is null ? null : HtmlCid.Rewrite(message.BodyHtml, UrlFor);
            message.FullBodyHtml = message.FullBodyHtml is null ? null : HtmlCid.Rewrite(message.FullBodyHtml, UrlFor);
            await db.SaveChangesAsync(cancellationToken);
        }

        return new TicketOutcome(ticket, created, explanation);
    }

    /// <summary>
    /// The ticket an email belongs to: by Message-ID / In-Reply-To / References first, then by the ticket number in the
    /// subject — only when the sender already takes part in that ticket, so strangers cannot inject into it.
    /// </summary>
    internal static async Task<(Ticket? Ticket, string How)> FindThreadAsync(Data.PortalDbContext db, ParsedEmail email, string sender, CancellationToken cancellationToken)
    {
        var ids = email.References.Reverse().Prepend(email.InReplyTo).Where(i => !string.IsNullOrEmpty(i)).Distinct().Cast<string>().ToList();
        if (ids.Count > 0)
        {
            var ticketId = await db.Set<TicketMessage>()
                .Where(m => m.InternetMessageId != null && ids.Contains(m.InternetMessageId))
                .OrderByDescending(m => m.Id)
                .Select(m => (int?)m.TicketId)
                .FirstOrDefaultAsync(cancellationToken);
            if (ticketId is { } id)
            {
                return (await db.Set<Ticket>().SingleAsync(t => t.Id == id, cancellationToken), "matched by In-Reply-To/References");
            }
        }

        if (TicketSubject.TryExtractNumber(email.Subject, out var number))
        {
            var ticket = await db.Set<Ticket>().SingleOrDefaultAsync(t => t.Number == number, cancellationToken);
            if (ticket is not null)
            {
                var lower = sender.ToLowerInvariant();
                var known = await db.Set<TicketParticipant>().AnyAsync(p => p.TicketId == ticket.Id && p.Email == lower, cancellationToken);
                if (known)
                {
                    return (ticket, $"ticket number #{number} in the subject, sender already on the ticket");
                }
            }
        }

        return (null, "");
    }

    /// <summary>The transaction-scoped advisory lock that serialises ticket numbering on PostgreSQL ("TicketNo" in ASCII).</summary>
    internal const long TicketNumberLockKey = 0x5469636B65744E6F;

    /// <summary>
    /// The next ticket number: one above the highest stored or added in this context. The caller's transaction must be open. On
    /// SQLite one writer at a time makes MAX + 1 safe; on PostgreSQL several nodes (and several writers of one node) decide at once,
    /// so the transaction first takes an advisory lock held until it commits or rolls back: the next writer's MAX then sees this
    /// one's tickets instead of colliding on the unique number (which failed the decision and delayed the email with back-off).
    /// </summary>
    private static async Task<int> NextNumberAsync(Data.PortalDbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({TicketNumberLockKey})", cancellationToken);
        }

        var local = db.Tracked<Ticket>().Where(t => t.Number > 0).Select(t => t.Number).DefaultIfEmpty(0).Max();
        var stored = await db.Set<Ticket>().MaxAsync(t => (int?)t.Number, cancellationToken) ?? 1000;
        return Math.Max(local, stored) + 1;
    }

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}
