using HaloPortal.Engine.Data;
using HaloPortal.Engine.Parsing;
using HaloPortal.Engine.Tickets;

namespace HaloPortal.Engine.Ingestion;

/// <summary>A ticket an email just opened (its id is assigned; the transaction is not committed yet).</summary>
internal sealed record NewTicketFromEmail(Ticket Ticket, int MailboxId, ParsedEmail Email, MailVerdict Verdict, DateTimeOffset Now);

/// <summary>
/// Extension point of the pipeline: called for every ticket an email opens, inside the transaction that commits it, so
/// whatever the observer adds to <c>db</c> (e.g. a queued acknowledgement) is committed with the ticket or not at all.
/// </summary>
internal interface INewTicketObserver
{
    /// <summary>Adds rows to <paramref name="db"/> (not saved yet); returns a line for the processing log, or null.</summary>
    Task<string?> OnTicketOpenedAsync(PortalDbContext db, NewTicketFromEmail ticket, CancellationToken cancellationToken);

    /// <summary>Called after the transaction committed (e.g. to wake a background sender).</summary>
    void Committed();
}
