using System.Globalization;
using System.Text;
using System.Text.Json;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Ingestion;

/// <summary>Filters of the inbound log (all optional).</summary>
public sealed record InboundQuery(
    int? MailboxId = null,
    InboundStatus? Status = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? Sender = null,
    string? Subject = null,
    string? Rule = null,
    int Page = 1,
    int PageSize = 50);

/// <summary>
/// One email of the inbound log. <paramref name="Attempts"/> counts every try so far; while the email waits after a transient
/// failure, <paramref name="NextAttemptAt"/> says when it is tried again and <paramref name="LastError"/> what went wrong.
/// </summary>
public sealed record InboundEmailRow(
    long Id, int MailboxId, string? MailboxName, string? InternetMessageId, string? Subject, string? From, InboundStatus Status,
    int? TicketId, int? TicketNumber, string? Rule, string? Reason, string? ErrorCode, RequestKind FoundBy, long? SizeBytes, DateTimeOffset? ReceivedAt, DateTimeOffset CreatedAt,
    int Attempts = 0, DateTimeOffset? NextAttemptAt = null, string? LastError = null, DateTimeOffset? LastErrorAt = null)
{
    /// <summary>Still on its way (found, being read or waiting for a retry): not failed, so not for replay.</summary>
    public bool InProgress => Status is InboundStatus.Pending or InboundStatus.Processing;
}

public sealed record InboundRequestRow(long Id, RequestKind Kind, DateTimeOffset ReceivedAt, DateTimeOffset? CompletedAt, RequestOutcome Outcome, string RawContentType, long RawSize, long? ReplayOfRequestId, IReadOnlyList<LogLine> Log)
{
    /// <summary>The portal node that received the request, then the one that processed it.</summary>
    public string? Node { get; init; }

    /// <summary>When data retention removed the raw data, or null while it is kept.</summary>
    public DateTimeOffset? RawPurgedAt { get; init; }
}

public sealed record InboundEmailDetails(InboundEmailRow Email, InboundStage Stage, int Attempts, DateTimeOffset? NextAttemptAt, bool HasRawMime, IReadOnlyList<InboundRequestRow> Requests)
{
    /// <summary>When data retention removed the raw message, or null while it is kept (or it was never fetched).</summary>
    public DateTimeOffset? RawPurgedAt { get; init; }
}

public sealed record InboundPage(IReadOnlyList<InboundEmailRow> Items, int Total);

public sealed record RawData(string ContentType, byte[] Content, string FileName);

/// <summary>How many emails of one status were logged on one UTC day.</summary>
public sealed record InboundDayCount(DateOnly Day, InboundStatus Status, int Count);

/// <summary>Filters of the rejected-notification list: received between <paramref name="From"/> and <paramref name="To"/> (both optional).</summary>
public sealed record RejectedNotificationQuery(DateTimeOffset? From = null, DateTimeOffset? To = null, int Page = 1, int PageSize = 25);

/// <summary>
/// A Graph notification (change or lifecycle) the receiver refused: its subscription is unknown, its clientState did not match, or its
/// subscription was cancelled. <paramref name="MailboxId"/> is 0 (and <paramref name="MailboxName"/> null) when the subscription is unknown.
/// </summary>
public sealed record RejectedNotificationRow(
    long Id, RequestKind Kind, DateTimeOffset ReceivedAt, string Reason, string? SubscriptionId, int MailboxId, string? MailboxName, long RawSize);

/// <summary>
/// One page of the kept rejected notifications (<paramref name="Total"/> of them match the query: only the newest
/// Portal:Webhooks:RejectedSampleSize are kept), and <paramref name="Refused"/>: how many items were refused in all since the portal started.
/// </summary>
public sealed record RejectedNotificationPage(IReadOnlyList<RejectedNotificationRow> Items, int Total, RejectionCounts? Refused = null);

/// <summary>The inbound log (per mailbox and global), drill-down to requests and raw data; replay is <see cref="IInboundReplays"/>.</summary>
public interface IInboundLog
{
    Task<InboundPage> QueryAsync(InboundQuery query, CancellationToken cancellationToken = default);

    Task<InboundEmailDetails?> GetAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>The raw data of one attempt (Graph JSON, notification JSON or MIME); a notification's clientState is masked (the stored data keeps it).</summary>
    Task<RawData?> GetRequestRawAsync(long requestId, CancellationToken cancellationToken = default);

    /// <summary>The email's raw MIME as an .eml download.</summary>
    Task<RawData?> GetEmailMimeAsync(long emailId, CancellationToken cancellationToken = default);

    /// <summary>Emails logged per UTC day and status over the last <paramref name="days"/> days (today included), for the monitoring chart.</summary>
    Task<IReadOnlyList<InboundDayCount>> DailyCountsAsync(int? mailboxId, int days, CancellationToken cancellationToken = default);

    /// <summary>CSV of every row the query matches (paging ignored).</summary>
    Task<string> ExportCsvAsync(InboundQuery query, CancellationToken cancellationToken = default);

    /// <summary>Notifications the webhook receiver rejected (no email was recorded for them), newest first, one page.</summary>
    Task<RejectedNotificationPage> RejectedNotificationsAsync(RejectedNotificationQuery query, CancellationToken cancellationToken = default);
}

internal sealed partial class InboundLog(
    IDbContextFactory<PortalDbContext> contexts,
    RejectionTally rejections,
    TimeProvider time) : IInboundLog
{
    public async Task<InboundPage> QueryAsync(InboundQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = Filter(db, query);
        var total = await rows.CountAsync(cancellationToken);
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var items = await Project(db, rows.OrderByDescending(e => e.Id).Skip((Math.Max(1, query.Page) - 1) * pageSize).Take(pageSize))
            .ToListAsync(cancellationToken);
        return new InboundPage(items, total);
    }

    public async Task<InboundEmailDetails?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await Project(db, db.Set<InboundEmail>().Where(e => e.Id == id)).SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return null;
        }

        var state = await db.Set<InboundEmail>().Where(e => e.Id == id)
            .Select(e => new { e.Stage, e.Attempts, e.NextAttemptAt, HasRaw = e.RawMime != null, e.RawPurgedAt }).SingleAsync(cancellationToken);
        var requests = await db.Set<InboundRequest>().AsNoTracking().Where(r => r.InboundEmailId == id).OrderByDescending(r => r.Id)
            .Select(r => new { r.Id, r.Kind, r.ReceivedAt, r.CompletedAt, r.Outcome, r.RawContentType, RawSize = r.RawData == null ? 0 : (long)r.RawData.Length, r.ReplayOfRequestId, r.LogJson, r.Node, r.RawPurgedAt })
            .ToListAsync(cancellationToken);
        return new InboundEmailDetails(row, state.Stage, state.Attempts, state.NextAttemptAt, state.HasRaw,
            requests.Select(r => new InboundRequestRow(r.Id, r.Kind, r.ReceivedAt, r.CompletedAt, r.Outcome, r.RawContentType, r.RawSize, r.ReplayOfRequestId,
                JsonSerializer.Deserialize<List<LogLine>>(r.LogJson, LogLine.Json) ?? []) { Node = r.Node, RawPurgedAt = r.RawPurgedAt }).ToList())
        {
            RawPurgedAt = state.RawPurgedAt,
        };
    }

    public async Task<RawData?> GetRequestRawAsync(long requestId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var request = await db.Set<InboundRequest>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == requestId, cancellationToken);
        if (request is null)
        {
            return null;
        }

        var extension = request.RawContentType == "message/rfc822" ? "eml" : "json";
        var content = request.RawData ?? [];
        if (extension == "json")
        {
            content = MaskSecrets(content);
        }

        return new RawData(request.RawContentType, content, $"request-{requestId}.{extension}");
    }

    /// <summary>What a masked value reads as.</summary>
    public const string Masked = "••••••";

    /// <summary>
    /// A subscription's clientState is the shared secret that proves a notification came from Graph: whoever reads the log (or
    /// downloads an attempt) must not be able to forge notifications with it. Stored rows keep it (replay needs the original).
    /// </summary>
    internal static byte[] MaskSecrets(byte[] json)
    {
        var text = Encoding.UTF8.GetString(json);
        var masked = ClientStateValue().Replace(text, m => m.Groups[1].Value + "\"" + Masked + "\"");
        return ReferenceEquals(masked, text) || masked == text ? json : Encoding.UTF8.GetBytes(masked);
    }

    // "clientState": "…" (any spacing, escaped quotes inside the value); a rejected sample cut at 4 KB may end inside the value.
    [System.Text.RegularExpressions.GeneratedRegex("""("clientState"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|$)""", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex ClientStateValue();

    public async Task<RawData?> GetEmailMimeAsync(long emailId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var mime = await db.Set<InboundEmail>().Where(e => e.Id == emailId).Select(e => e.RawMime).SingleOrDefaultAsync(cancellationToken);
        return mime is null ? null : new RawData("message/rfc822", mime, $"email-{emailId}.eml");
    }

    public async Task<IReadOnlyList<InboundDayCount>> DailyCountsAsync(int? mailboxId, int days, CancellationToken cancellationToken = default)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var first = today.AddDays(1 - Math.Clamp(days, 1, 366));
        var since = new DateTimeOffset(first.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = db.Set<InboundEmail>().AsNoTracking().Where(e => e.CreatedAt >= since);
        if (mailboxId is { } id)
        {
            rows = rows.Where(e => e.MailboxId == id);
        }

        // Times are stored as ticks, so the day is computed here; two small columns per email.
        var seen = await rows.Select(e => new { e.CreatedAt, e.Status }).ToListAsync(cancellationToken);
        return seen.GroupBy(e => (Day: DateOnly.FromDateTime(e.CreatedAt.UtcDateTime), e.Status))
            .Select(g => new InboundDayCount(g.Key.Day, g.Key.Status, g.Count()))
            .OrderBy(c => c.Day).ThenBy(c => c.Status).ToList();
    }

    public async Task<string> ExportCsvAsync(InboundQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await Project(db, Filter(db, query).OrderByDescending(e => e.Id).Take(100_000)).ToListAsync(cancellationToken);
        var csv = new StringBuilder("Id,Received,Mailbox,From,Subject,Status,Ticket,Rule,Found by,Reason\r\n");
        foreach (var r in rows)
        {
            csv.AppendJoin(',', r.Id.ToString(CultureInfo.InvariantCulture), (r.ReceivedAt ?? r.CreatedAt).ToString("u", CultureInfo.InvariantCulture),
                    Csv(r.MailboxName), Csv(r.From), Csv(r.Subject), r.Status, r.TicketNumber?.ToString(CultureInfo.InvariantCulture) ?? "", Csv(r.Rule), r.FoundBy, Csv(r.Reason))
                .Append("\r\n");
        }

        return csv.ToString();
    }

    public async Task<RejectedNotificationPage> RejectedNotificationsAsync(RejectedNotificationQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = db.Set<InboundRequest>().AsNoTracking()
            .Where(r => r.Outcome == RequestOutcome.Rejected && r.InboundEmailId == null && (r.Kind == RequestKind.Webhook || r.Kind == RequestKind.Lifecycle));
        if (query.From is { } from)
        {
            rows = rows.Where(r => r.ReceivedAt >= from);
        }

        if (query.To is { } to)
        {
            rows = rows.Where(r => r.ReceivedAt <= to);
        }

        var total = await rows.CountAsync(cancellationToken);
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var page = await (
                from r in rows.OrderByDescending(r => r.Id).Skip((Math.Max(1, query.Page) - 1) * pageSize).Take(pageSize)
                join m in db.Set<Mailbox>() on r.MailboxId equals m.Id into mj
                from m in mj.DefaultIfEmpty()
                select new { r.Id, r.Kind, r.ReceivedAt, r.MailboxId, MailboxName = m == null ? null : m.Name, r.LogJson, r.RawData })
            .ToListAsync(cancellationToken);

        // The reason is the receiver's log line; the subscription id is in the item's raw JSON (a notification item is about 1 KB).
        var items = page.Select(r => new RejectedNotificationRow(r.Id, r.Kind, r.ReceivedAt, RejectionReason(r.LogJson), SubscriptionIdOf(r.RawData), r.MailboxId,
            r.MailboxName, r.RawData?.Length ?? 0)).OrderByDescending(r => r.Id).ToList();
        return new RejectedNotificationPage(items, total, rejections.Snapshot());
    }

    private static string RejectionReason(string logJson)
    {
        const string prefix = "Rejected: ";
        var lines = JsonSerializer.Deserialize<List<LogLine>>(logJson, LogLine.Json) ?? [];
        var line = lines.FirstOrDefault(l => l.Message.StartsWith(prefix, StringComparison.Ordinal)) ?? lines.FirstOrDefault();
        return line is null ? "Rejected (no reason was logged)." : line.Message.StartsWith(prefix, StringComparison.Ordinal) ? line.Message[prefix.Length..] : line.Message;
    }

    private static string? SubscriptionIdOf(byte[]? raw)
    {
        if (raw is not { Length: > 0 })
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(raw);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("subscriptionId", out var id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private const string FormulaStarts = "=+-@\t\r";

    internal static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        // Quote, and neutralise spreadsheet formulas: a cell a spreadsheet would evaluate (=, +, -, @, or a leading tab or carriage return,
        // which some programs strip before looking for the formula) is prefixed with an apostrophe so it stays text.
        var safe = FormulaStarts.Contains(value[0]) ? "'" + value : value;
        return "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static IQueryable<InboundEmail> Filter(PortalDbContext db, InboundQuery q)
    {
        var rows = db.Set<InboundEmail>().AsNoTracking();
        if (q.MailboxId is { } mailboxId)
        {
            rows = rows.Where(e => e.MailboxId == mailboxId);
        }

        if (q.Status is { } status)
        {
            rows = rows.Where(e => e.Status == status);
        }

        if (q.From is { } from)
        {
            rows = rows.Where(e => e.CreatedAt >= from);
        }

        if (q.To is { } to)
        {
            rows = rows.Where(e => e.CreatedAt <= to);
        }

        if (!string.IsNullOrWhiteSpace(q.Sender))
        {
            var sender = TextSearch.ContainsPattern(q.Sender);
            rows = rows.Where(e => e.From != null && EF.Functions.Like(e.From.ToLower(), sender, TextSearch.Escape));
        }

        if (!string.IsNullOrWhiteSpace(q.Subject))
        {
            var subject = TextSearch.ContainsPattern(q.Subject);
            rows = rows.Where(e => e.Subject != null && EF.Functions.Like(e.Subject.ToLower(), subject, TextSearch.Escape));
        }

        if (!string.IsNullOrWhiteSpace(q.Rule))
        {
            var rule = q.Rule.Trim();
            rows = rows.Where(e => e.Rule != null && e.Rule.Contains(rule));
        }

        return rows;
    }

    private static IQueryable<InboundEmailRow> Project(PortalDbContext db, IQueryable<InboundEmail> rows) =>
        from e in rows
        join m in db.Set<Mailbox>() on e.MailboxId equals m.Id into mj
        from m in mj.DefaultIfEmpty()
        join t in db.Set<Tickets.Ticket>() on e.TicketId equals t.Id into tj
        from t in tj.DefaultIfEmpty()
        select new InboundEmailRow(e.Id, e.MailboxId, m.Name, e.InternetMessageId, e.Subject, e.From, e.Status, e.TicketId, t == null ? null : t.Number,
            e.Rule, e.Reason, e.ErrorCode, e.FoundBy, e.SizeBytes, e.ReceivedAt, e.CreatedAt, e.Attempts, e.NextAttemptAt, e.LastError, e.LastErrorAt);
}
