using HaloPortal.Engine.Monitoring;
using HaloPortal.Engine.Portal;

namespace HaloPortal.Api;

/// <summary>The ledger of a mailbox: every message in its watched folder and every record of the portal, with what became of each.</summary>
internal static class MonitoringApi
{
    public static void MapMonitoringApi(this RouteGroupBuilder api)
    {
        api.MapGet("/mailboxes/{id:int}/ledger", async Task<IResult> (int id, IMailboxLedger ledger, CancellationToken ct) =>
        {
            var report = await ledger.RunAsync(id, cancellationToken: ct);
            if (report is null)
            {
                return TypedResults.Problem(title: "Not found", detail: $"Mailbox {id} does not exist.", statusCode: StatusCodes.Status404NotFound);
            }

            if (report.Error is { } error)
            {
                return TypedResults.Problem(title: error.Title, detail: error.Message, statusCode: StatusCodes.Status409Conflict,
                    extensions: new Dictionary<string, object?> { ["code"] = error.Code, ["fix"] = error.Fix });
            }

            return TypedResults.Ok(LedgerDto.Of(report));
        })
        .RequireAuthorization(PortalPolicies.Support)
        .Produces<LedgerDto>()
        .WithTags("Monitoring")
        .WithName("GetMailboxLedger")
        .WithDescription("Lists the mailbox's watched folder through Graph (every page) and accounts for each message and each inbound record: " +
                         "Ticket (with its number), Ignored (rule, reason), Failed (reason), InProgress, or Unaccounted (in the mailbox, no record). " +
                         "Messages received before the credential connected are not imported by default: they are counted in beforeConnection, not listed. " +
                         "409 problem (with code and fix) when the folder cannot be listed.");
    }
}

internal sealed record LedgerDto(
    int MailboxId,
    string Mailbox,
    string Folder,
    DateTimeOffset? ConnectedAt,
    DateTimeOffset GeneratedAt,
    int InFolder,
    int BeforeConnection,
    int Unaccounted,
    IReadOnlyDictionary<LedgerOutcome, int> Totals,
    IReadOnlyList<LedgerEntryDto> Items)
{
    public static LedgerDto Of(LedgerReport r) => new(
        r.MailboxId, r.MailboxName, r.Folder, r.ConnectedAt, r.GeneratedAt, r.InFolder, r.BeforeConnection, r.Unaccounted, r.Totals,
        [.. r.Entries.Select(e => new LedgerEntryDto(e.Outcome, e.InboundEmailId, e.GraphMessageId, e.InternetMessageId, e.Subject, e.From, e.ReceivedAt,
            e.InFolder, e.TicketId, e.TicketNumber, e.Rule, e.Reason))]);
}

internal sealed record LedgerEntryDto(
    LedgerOutcome Outcome,
    long? InboundEmailId,
    string? GraphMessageId,
    string? InternetMessageId,
    string? Subject,
    string? From,
    DateTimeOffset? ReceivedAt,
    bool InFolder,
    int? TicketId,
    int? TicketNumber,
    string? Rule,
    string? Reason);
