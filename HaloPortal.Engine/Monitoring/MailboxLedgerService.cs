using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Notifications;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;
using Mailbox = HaloPortal.Engine.Mailboxes.Mailbox;

namespace HaloPortal.Engine.Monitoring;

/// <summary>
/// The ledger: every message in the watched folder (listed to the last page) and every inbound record of the mailbox, each with
/// what became of it. Computed on demand; the daily check keeps its verdict as the mailbox's open (or resolved) "ledger" problem.
/// </summary>
internal sealed class MailboxLedgerService(
    IDbContextFactory<PortalDbContext> contexts,
    IGraphClients graph,
    INotifications notifications,
    TimeProvider time,
    IOptions<PortalOptions> portal,
    ILogger<MailboxLedgerService> logger) : IMailboxLedger
{
    private static readonly string[] Select = ["id", "internetMessageId", "subject", "from", "receivedDateTime"];

    public async Task<LedgerReport?> RunAsync(int mailboxId, IProgress<LedgerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Mailbox? mailbox;
        MailboxCredential? credential;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            mailbox = await db.Set<Mailbox>().AsNoTracking().SingleOrDefaultAsync(m => m.Id == mailboxId, cancellationToken);
            var here = portal.Value.Instance;
            credential = await db.Set<MailboxCredential>().AsNoTracking().SingleOrDefaultAsync(c => c.MailboxId == mailboxId && c.Instance == here, cancellationToken);
        }

        if (mailbox is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (credential is not { DisconnectedAt: null, TargetAddress: not null } || credential.Status == CredentialStatus.NotConnected)
        {
            var error = new KnownError("NotConnected", "Mailbox not connected",
                $"This mailbox has no connected {portal.Value.Instance} credentials, so its folder cannot be listed.",
                "Connect the mailbox on its Credentials tab (Test connection, or sign in), then run the ledger again.", ErrorKind.Configuration);
            return Report(mailbox, credential, now, 0, 0, await EntriesAsync(mailbox.Id, cancellationToken), error);
        }

        progress?.Report(new LedgerProgress(0, "Listing the folder"));
        List<Message> listed;
        try
        {
            listed = await ListFolderAsync(credential, mailbox.SourceFolder, progress, cancellationToken);
        }
        catch (CredentialException ex)
        {
            logger.LogWarning("Mailbox {Mailbox}: the ledger could not list the folder: {Code} {Message}", LogText.Clean(mailbox.Name), ex.Error.Code, ex.Error.Message);
            return Report(mailbox, credential, now, 0, 0, await EntriesAsync(mailbox.Id, cancellationToken), ex.Error);
        }

        progress?.Report(new LedgerProgress(listed.Count, "Matching the portal's records"));
        var records = await EntriesAsync(mailbox.Id, cancellationToken);
        var byMessageId = records.Where(r => r.InternetMessageId is not null).GroupBy(r => r.InternetMessageId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var byGraphId = records.Where(r => r.GraphMessageId is not null).GroupBy(r => r.GraphMessageId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var inFolder = new HashSet<long>();
        var unaccounted = new List<LedgerEntry>();
        var beforeConnection = 0;
        var cutoff = Cutoff(credential);
        foreach (var message in listed)
        {
            var key = MessageIdKey.Of(message.InternetMessageId);
            if ((message.Id is not null && byGraphId.TryGetValue(message.Id, out var record)) || (key is not null && byMessageId.TryGetValue(key, out record)))
            {
                inFolder.Add(record.InboundEmailId!.Value);
                continue;
            }

            if (message.ReceivedDateTime is { } received && received < cutoff)
            {
                beforeConnection++;
                continue;
            }

            unaccounted.Add(new LedgerEntry(LedgerOutcome.Unaccounted, null, message.Id, key, message.Subject, message.From?.EmailAddress?.Address,
                message.ReceivedDateTime, true, null, null, null, "In the mailbox, but the portal has no record of it."));
        }

        var entries = unaccounted.OrderByDescending(e => e.ReceivedAt)
            .Concat(records.Select(r => r with { InFolder = inFolder.Contains(r.InboundEmailId!.Value) }))
            .ToList();
        progress?.Report(new LedgerProgress(listed.Count, "Done"));
        return Report(mailbox, credential, now, listed.Count, beforeConnection, entries, null);
    }

    public async Task<LedgerVerdict?> LastVerdictAsync(int mailboxId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = ProblemKeys.Ledger(mailboxId);
        var problem = await db.Set<Problem>().AsNoTracking().Where(p => p.Key == key).OrderByDescending(p => p.Id)
            .Select(p => new { p.Message, p.LastSeenAt, p.ResolvedAt }).FirstOrDefaultAsync(cancellationToken);
        return problem switch
        {
            null => null,
            { ResolvedAt: { } resolved } => new LedgerVerdict(true, resolved, "Every message was accounted for."),
            _ => new LedgerVerdict(false, problem.LastSeenAt, problem.Message),
        };
    }

    public async Task CheckAllAsync(CancellationToken cancellationToken = default)
    {
        List<int> ids;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var here = portal.Value.Instance;
            ids = await db.Set<MailboxCredential>().AsNoTracking()
                .Where(c => c.Instance == here && c.DisconnectedAt == null && c.Status != CredentialStatus.NotConnected)
                .Select(c => c.MailboxId).Distinct().ToListAsync(cancellationToken);
        }

        foreach (var id in ids)
        {
            var report = await RunAsync(id, null, cancellationToken);
            if (report is null || report.Error is not null)
            {
                // A mailbox that cannot be listed is the credential's problem (raised by the scans); the ledger says nothing either way.
                continue;
            }

            var key = ProblemKeys.Ledger(id);
            if (report.Clean)
            {
                await notifications.ResolveAsync(key, $"Every message in mailbox '{report.MailboxName}' is accounted for.", cancellationToken);
                continue;
            }

            var first = report.Entries.Where(e => e.Outcome == LedgerOutcome.Unaccounted).Take(3)
                .Select(e => $"\"{e.Subject ?? "(no subject)"}\" from {e.From ?? "unknown"}");
            await notifications.RaiseAsync(new ProblemReport(
                key,
                NotificationCategory.EmailProcessing,
                $"Mailbox '{report.MailboxName}' has mail the portal has no record of",
                $"The daily ledger found {Plural.Of(report.Unaccounted, "message")} in the '{report.Folder}' folder that the portal never recorded, e.g. {string.Join(", ", first)}.",
                "Open the mailbox's Monitoring tab and run the ledger to see them. On the Incoming tab, Import emails › Import older mail (backlog), going back to the oldest of them, reads the whole folder again and processes what has no record (recorded mail is skipped). If they keep appearing, check the webhook subscription and the scan schedule.",
                PortalRoutes.MailboxTab(id, "monitoring")), cancellationToken);
        }
    }

    /// <summary>Only mail received since the credential connected is imported (Graph reports receivedDateTime to the second).</summary>
    private static DateTimeOffset Cutoff(MailboxCredential credential)
    {
        var connected = credential.ConnectedAt ?? credential.CreatedAt;
        return new DateTimeOffset(connected.UtcTicks - connected.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
    }

    private async Task<List<Message>> ListFolderAsync(MailboxCredential credential, string folder, IProgress<LedgerProgress>? progress, CancellationToken cancellationToken)
    {
        var messages = graph.For(credential).Users[credential.TargetAddress].MailFolders[folder].Messages;
        var listed = new List<Message>();
        var page = await GraphCall.RunAsync(() => messages.GetAsync(r =>
        {
            r.QueryParameters.Select = Select;
            r.QueryParameters.Top = 1000;
        }, cancellationToken));
        while (page is not null)
        {
            listed.AddRange(page.Value ?? []);
            progress?.Report(new LedgerProgress(listed.Count, "Listing the folder"));
            if (page.OdataNextLink is not { } next)
            {
                break;
            }

            page = await GraphCall.RunAsync(() => messages.WithUrl(next).GetAsync(cancellationToken: cancellationToken));
        }

        return listed;
    }

    private async Task<List<LedgerEntry>> EntriesAsync(int mailboxId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await (from e in db.Set<InboundEmail>().AsNoTracking().Where(e => e.MailboxId == mailboxId)
                          join t in db.Set<Ticket>() on e.TicketId equals t.Id into tickets
                          from t in tickets.DefaultIfEmpty()
                          orderby e.Id descending
                          select new
                          {
                              e.Id, e.GraphMessageId, e.InternetMessageId, e.Subject, e.From, e.ReceivedAt, e.Status, e.TicketId, Number = (int?)t.Number, e.Rule, e.Reason,
                          }).ToListAsync(cancellationToken);
        return rows.Select(r => new LedgerEntry(
            r.Status switch
            {
                InboundStatus.Processed => LedgerOutcome.Ticket,
                InboundStatus.Ignored => LedgerOutcome.Ignored,
                InboundStatus.Failed => LedgerOutcome.Failed,
                _ => LedgerOutcome.InProgress,
            },
            r.Id, r.GraphMessageId, r.InternetMessageId, r.Subject, r.From, r.ReceivedAt, false, r.TicketId, r.Number, r.Rule, r.Reason)).ToList();
    }

    private static LedgerReport Report(Mailbox mailbox, MailboxCredential? credential, DateTimeOffset now, int inFolder, int beforeConnection, List<LedgerEntry> entries, KnownError? error) =>
        new(mailbox.Id, mailbox.Name, mailbox.SourceFolder, credential?.ConnectedAt, now, inFolder, beforeConnection,
            Enum.GetValues<LedgerOutcome>().ToDictionary(o => o, o => entries.Count(e => e.Outcome == o)), entries, error);
}
