namespace HaloPortal.Engine.Monitoring;

/// <summary>What became of one message.</summary>
public enum LedgerOutcome
{
    /// <summary>It opened or updated a ticket.</summary>
    Ticket,

    /// <summary>It was ignored (an email rule, an auto-reply, own mail...), with the reason.</summary>
    Ignored,

    /// <summary>It failed, with the reason (replayable from the inbound log).</summary>
    Failed,

    /// <summary>It is recorded and still being processed (or waiting for a retry).</summary>
    InProgress,

    /// <summary>It is in the watched folder and the portal has no record of it.</summary>
    Unaccounted,
}

/// <summary>One message of the ledger: a message in the folder, a record of the portal, or both.</summary>
/// <param name="InboundEmailId">The inbound record; null for an unaccounted message.</param>
/// <param name="InFolder">Whether the message is in the watched folder now (processed mail moved or deleted is not).</param>
/// <param name="Reason">Why it was ignored or failed; the email rule's name is in <paramref name="Rule"/>.</param>
public sealed record LedgerEntry(
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

/// <summary>The reconciliation of a mailbox's watched folder with what the portal recorded.</summary>
/// <param name="Folder">The watched folder, as configured on the Incoming tab.</param>
/// <param name="ConnectedAt">When this instance's credential connected: only mail received since is imported.</param>
/// <param name="InFolder">Messages listed in the folder (every page).</param>
/// <param name="BeforeConnection">Messages in the folder received before <paramref name="ConnectedAt"/> with no record: not expected to be imported (excluded).</param>
/// <param name="Totals">Entries by outcome (every outcome present, zeros included).</param>
/// <param name="Entries">Every record and every unaccounted message, unaccounted first, then newest first.</param>
/// <param name="Error">Why the ledger could not be made (no connected credential, Graph refused); null when it was.</param>
public sealed record LedgerReport(
    int MailboxId,
    string MailboxName,
    string Folder,
    DateTimeOffset? ConnectedAt,
    DateTimeOffset GeneratedAt,
    int InFolder,
    int BeforeConnection,
    IReadOnlyDictionary<LedgerOutcome, int> Totals,
    IReadOnlyList<LedgerEntry> Entries,
    Errors.KnownError? Error)
{
    /// <summary>Messages in the folder the portal has no record of.</summary>
    public int Unaccounted => Totals.GetValueOrDefault(LedgerOutcome.Unaccounted);

    /// <summary>The ledger was made and accounts for everything.</summary>
    public bool Clean => Error is null && Unaccounted == 0;
}

/// <summary>Progress of a ledger run, for its screen.</summary>
public sealed record LedgerProgress(int Listed, string Stage);

/// <summary>
/// The daily ledger's last verdict on a mailbox, as kept by its "ledger" problem: open (unaccounted mail, <paramref name="At"/> when
/// last seen) or resolved (clean since <paramref name="At"/>).
/// </summary>
public sealed record LedgerVerdict(bool Clean, DateTimeOffset At, string Message);

/// <summary>Reconciles a mailbox's watched folder (listed through Graph) with the portal's inbound records.</summary>
public interface IMailboxLedger
{
    /// <summary>Makes the ledger of one mailbox now; null when the mailbox does not exist.</summary>
    Task<LedgerReport?> RunAsync(int mailboxId, IProgress<LedgerProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>The daily check's last verdict on the mailbox; null when it never found unaccounted mail there.</summary>
    Task<LedgerVerdict?> LastVerdictAsync(int mailboxId, CancellationToken cancellationToken = default);

    /// <summary>The daily check: the ledger of every connected mailbox; a problem is raised for each with unaccounted mail, resolved when clean.</summary>
    Task CheckAllAsync(CancellationToken cancellationToken = default);
}
