using System.Text.Json;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Tokens;
using HaloPortal.Engine.EndUsers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models.ODataErrors;
using Contact = Microsoft.Graph.Models.Contact;

namespace HaloPortal.Engine.Contacts;

/// <summary>The contact-import schedule per mailbox (every few hours), what is due, and the history of runs.</summary>
internal sealed partial class ContactImporter
{
    public async Task<ContactImportReport?> ImportIfDueAsync(int mailboxId, CancellationToken cancellationToken = default)
    {
        var due = await NextDueAsync(mailboxId, cancellationToken);
        if (due is null || time.GetUtcNow() < due)
        {
            return null;
        }

        var services = await backendServices.GetAsync(cancellationToken);
        if (!services.SchedulingServiceEnabled)
        {
            return null;
        }

        return await ImportAsync(mailboxId, null, ContactImportTrigger.Scheduled, cancellationToken);
    }

    public async Task<DateTimeOffset?> NextDueAsync(int mailboxId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var settings = await db.Set<ContactImportSettings>().AsNoTracking().SingleOrDefaultAsync(s => s.MailboxId == mailboxId, cancellationToken);
        if (settings is not { ScheduleEnabled: true })
        {
            return null;
        }

        // The last run of either kind counts: a manual import resets the clock, and a failed run is retried after one interval.
        var last = await db.Set<ContactImportRun>().Where(r => r.MailboxId == mailboxId).OrderByDescending(r => r.StartedAt)
            .Select(r => (DateTimeOffset?)r.StartedAt).FirstOrDefaultAsync(cancellationToken);
        return last is { } at ? at + TimeSpan.FromHours(settings.IntervalHours) : settings.UpdatedAt ?? DateTimeOffset.MinValue;
    }

    public async Task<IReadOnlyList<ContactImportRunView>> ListRunsAsync(int mailboxId, int take = 20, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var runs = await db.Set<ContactImportRun>().AsNoTracking().Where(r => r.MailboxId == mailboxId).OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id)
            .Take(Math.Clamp(take, 1, 500)).ToListAsync(cancellationToken);
        return runs.Select(r => new ContactImportRunView(r.Id, r.Trigger, r.StartedAt, r.FinishedAt, r.Processed, r.Created, r.Updated, r.Unchanged, r.Skipped,
            r.SkippedJson is null ? [] : JsonSerializer.Deserialize<List<SkippedContact>>(r.SkippedJson, Json) ?? [], r.ErrorCode, r.ErrorMessage)).ToList();
    }

    public async Task<ContactImportSchedule> GetScheduleAsync(int mailboxId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var s = await db.Set<ContactImportSettings>().AsNoTracking().SingleOrDefaultAsync(x => x.MailboxId == mailboxId, cancellationToken);
        return ToSchedule(mailboxId, s);
    }

    public async Task<ContactImportSchedule> SaveScheduleAsync(int mailboxId, bool enabled, int intervalHours, Actor actor, CancellationToken cancellationToken = default)
    {
        if (intervalHours is < ContactImportSchedule.MinIntervalHours or > ContactImportSchedule.MaxIntervalHours)
        {
            throw new ArgumentException($"The interval must be between {ContactImportSchedule.MinIntervalHours} and {ContactImportSchedule.MaxIntervalHours} hours (one week).", nameof(intervalHours));
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Set<Mailbox>().AnyAsync(m => m.Id == mailboxId, cancellationToken))
        {
            throw new KeyNotFoundException($"Mailbox {mailboxId} does not exist.");
        }

        var s = await db.Set<ContactImportSettings>().SingleOrDefaultAsync(x => x.MailboxId == mailboxId, cancellationToken);
        if (s is null)
        {
            s = new ContactImportSettings { MailboxId = mailboxId };
            db.Add(s);
        }

        var before = new { s.ScheduleEnabled, s.IntervalHours };
        if (before.ScheduleEnabled != enabled || before.IntervalHours != intervalHours)
        {
            s.ScheduleEnabled = enabled;
            s.IntervalHours = intervalHours;
            s.UpdatedAt = time.GetUtcNow();
            db.Audit(time, actor, "ContactImport.ScheduleUpdated", "Mailbox", mailboxId.ToString(), before, new { s.ScheduleEnabled, s.IntervalHours });
            await db.SaveChangesAsync(cancellationToken);
            events.RaiseChanged(mailboxId);
        }

        return ToSchedule(mailboxId, s);
    }

    public async Task<IReadOnlyList<int>> ScheduledMailboxesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<ContactImportSettings>().Where(s => s.ScheduleEnabled).Select(s => s.MailboxId).ToListAsync(cancellationToken);
    }

    private static ContactImportSchedule ToSchedule(int mailboxId, ContactImportSettings? s) =>
        s is null
            ? new ContactImportSchedule(false, 24, null)
            : new ContactImportSchedule(s.ScheduleEnabled, s.IntervalHours, s.LastFailureCode is { } code
                ? new ContactImportFailure(mailboxId, KnownErrors.Find(code) ?? KnownErrors.Unknown(code, s.LastFailureMessage ?? code), s.LastFailureAt ?? default, ContactImportTrigger.Scheduled)
                : null);
}
