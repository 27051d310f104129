using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Errors;

namespace HaloPortal.Engine.Contacts;

public enum ContactImportTrigger
{
    Manual,
    Scheduled,
}

/// <summary>How far an import is: contacts processed so far, of <see cref="Total"/> when Graph reported a count.</summary>
public sealed record ContactImportProgress(int Processed, int? Total);

/// <summary>A contact that did not become or update a user, and why.</summary>
public sealed record SkippedContact(string ContactId, string DisplayName, string Reason);

/// <summary>
/// The outcome of an import. <see cref="NotRun"/> says why nothing was read (no credentials, another import running);
/// <see cref="Error"/> is the catalogued failure that stopped it part-way (what was imported before it stays).
/// </summary>
public sealed record ContactImportReport(
    int Processed, int Created, int Updated, int Unchanged, IReadOnlyList<SkippedContact> Skipped, KnownError? Error, long? RunId, string? NotRun = null)
{
    /// <summary>Every error in plain words (the stopping error; skipped contacts are listed separately with their reasons).</summary>
    public IReadOnlyList<string> Errors => Error is null ? [] : [$"{Error.Title}: {Error.Message}"];

    internal static ContactImportReport Skip(string reason) => new(0, 0, 0, 0, [], null, null, reason);
}

/// <summary>A run as the history on the Contact imports tab shows it.</summary>
public sealed record ContactImportRunView(
    long Id, ContactImportTrigger Trigger, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, int Processed, int Created, int Updated, int Unchanged,
    int Skipped, IReadOnlyList<SkippedContact> SkippedContacts, string? ErrorCode, string? ErrorMessage)
{
    public bool Running => FinishedAt is null;

    public bool Failed => ErrorCode is not null;
}

/// <summary>A mailbox's scheduled sync and its last unresolved failure.</summary>
public sealed record ContactImportSchedule(bool Enabled, int IntervalHours, ContactImportFailure? LastFailure)
{
    public const int MinIntervalHours = 1;
    public const int MaxIntervalHours = 168;
}

/// <summary>A failed import: the catalogued error, on which mailbox, when and how it was started.</summary>
public sealed record ContactImportFailure(int MailboxId, KnownError Error, DateTimeOffset At, ContactImportTrigger Trigger);

/// <summary>The mapped Outlook fields of a mailbox's contact import; <see cref="IsDefault"/> until a set is saved.</summary>
public sealed record ContactMappingSet(IReadOnlyList<ContactMappingItem> Items, bool IsDefault);

/// <summary>Contact mappings per mailbox (the Contact imports tab's table).</summary>
public interface IContactMappings
{
    /// <summary>The saved mappings, or the defaults when the mailbox has none.</summary>
    Task<ContactMappingSet> GetAsync(int mailboxId, CancellationToken cancellationToken = default);

    /// <summary>Replaces the mailbox's mappings (audited).</summary>
    /// <exception cref="ArgumentException">The set breaks a rule (<see cref="OutlookContactFields.Validate"/>); the message gives every reason.</exception>
    /// <exception cref="KeyNotFoundException">No such mailbox.</exception>
    Task<ContactMappingSet> SaveAsync(int mailboxId, IReadOnlyList<ContactMappingItem> mappings, Actor actor, CancellationToken cancellationToken = default);
}

/// <summary>Imports a mailbox's Outlook contacts as users, on demand or on its schedule, and records every run.</summary>
public interface IContactImports
{
    /// <summary>
    /// Reads every contact through this instance's credential and creates or updates users: matched by Outlook contact id, then by email;
    /// only mapped fields are written; new users go to the site matching their email domain, else the default site.
    /// </summary>
    Task<ContactImportReport> ImportAsync(int mailboxId, IProgress<ContactImportProgress>? progress = null, ContactImportTrigger trigger = ContactImportTrigger.Manual,
        CancellationToken cancellationToken = default);

    /// <summary>Runs a scheduled import when the mailbox's schedule is enabled and its interval has passed since the last run; null when not due.</summary>
    Task<ContactImportReport?> ImportIfDueAsync(int mailboxId, CancellationToken cancellationToken = default);

    /// <summary>When the next scheduled import is due (null when the schedule is off).</summary>
    Task<DateTimeOffset?> NextDueAsync(int mailboxId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ContactImportRunView>> ListRunsAsync(int mailboxId, int take = 20, CancellationToken cancellationToken = default);

    Task<ContactImportSchedule> GetScheduleAsync(int mailboxId, CancellationToken cancellationToken = default);

    /// <exception cref="ArgumentException">The interval is outside 1–168 hours.</exception>
    /// <exception cref="KeyNotFoundException">No such mailbox.</exception>
    Task<ContactImportSchedule> SaveScheduleAsync(int mailboxId, bool enabled, int intervalHours, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Mailboxes whose scheduled sync is enabled.</summary>
    Task<IReadOnlyList<int>> ScheduledMailboxesAsync(CancellationToken cancellationToken = default);

    /// <summary>Raised after a mailbox's schedule, mappings or runs changed (screens refresh; the scheduler re-registers jobs).</summary>
    event Action<int>? Changed;

    /// <summary>
    /// Raised when an import fails (manual or scheduled). The failure is also stored on the mailbox (shown as a banner until an import
    /// succeeds) and on the run; the error-notification service subscribes here.
    /// </summary>
    event Action<ContactImportFailure>? ImportFailed;
}
