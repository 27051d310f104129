using System.Collections.Concurrent;
using System.Text.Json;
using HaloPortal.Engine.BackendServices;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tokens;
using HaloPortal.Engine.EndUsers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models.ODataErrors;
using Contact = Microsoft.Graph.Models.Contact;

namespace HaloPortal.Engine.Contacts;

internal sealed partial class ContactImporter(
    IDbContextFactory<PortalDbContext> contexts,
    IGraphClients graph,
    IBackendServices backendServices,
    ContactImportEvents events,
    TimeProvider time,
    IOptions<PortalOptions> portal,
    IOptions<ContactsOptions> options,
    ILogger<ContactImporter> logger) : IContactImports
{
    private const int SkippedKept = 200;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ConcurrentDictionary<int, SemaphoreSlim> _running = new();

    public event Action<int>? Changed
    {
        add => events.Changed += value;
        remove => events.Changed -= value;
    }

    public event Action<ContactImportFailure>? ImportFailed
    {
        add => events.ImportFailed += value;
        remove => events.ImportFailed -= value;
    }

    public async Task<ContactImportReport> ImportAsync(int mailboxId, IProgress<ContactImportProgress>? progress = null, ContactImportTrigger trigger = ContactImportTrigger.Manual,
        CancellationToken cancellationToken = default)
    {
        MailboxCredential? credential;
        ContactMappingSet mappings;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            if (!await db.Set<Mailbox>().AnyAsync(m => m.Id == mailboxId, cancellationToken))
            {
                throw new KeyNotFoundException($"Mailbox {mailboxId} does not exist.");
            }

            var here = portal.Value.Instance;
            credential = await db.Set<MailboxCredential>().AsNoTracking().SingleOrDefaultAsync(c => c.MailboxId == mailboxId && c.Instance == here, cancellationToken);
            if (credential is null)
            {
                return ContactImportReport.Skip($"This mailbox has no {here} credentials: add and connect them on the Credentials tab first.");
            }

            if (credential.TargetAddress is null)
            {
                return ContactImportReport.Skip("The credential is not connected yet: test the connection or sign in on the Credentials tab first.");
            }

            mappings = await ContactMappingService.LoadAsync(db, mailboxId, cancellationToken);
        }

        var mappingErrors = OutlookContactFields.Validate(mappings.Items);
        if (mappingErrors.Count > 0)
        {
            return ContactImportReport.Skip("The contact mappings cannot be used: " + string.Join(" ", mappingErrors));
        }

        var gate = _running.GetOrAdd(mailboxId, _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(0, cancellationToken))
        {
            return ContactImportReport.Skip("An import of this mailbox's contacts is already running: wait for it to finish.");
        }

        try
        {
            return await RunAsync(mailboxId, credential, mappings.Items, trigger, progress, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<ContactImportReport> RunAsync(int mailboxId, MailboxCredential credential, IReadOnlyList<ContactMappingItem> mappings, ContactImportTrigger trigger,
        IProgress<ContactImportProgress>? progress, CancellationToken cancellationToken)
    {
        var run = new ContactImportRun { MailboxId = mailboxId, Trigger = trigger, StartedAt = time.GetUtcNow() };
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            db.Add(run);
            await db.SaveChangesAsync(cancellationToken);
        }

        events.RaiseChanged(mailboxId);
        var tally = new Tally();
        KnownError? error = null;
        try
        {
            var client = graph.For(credential);
            var contacts = client.Users[credential.TargetAddress].Contacts;
            var select = OutlookContactFields.Select(mappings);
            int? total = null;
            progress?.Report(new ContactImportProgress(0, null));
            var page = await GraphCall.RunAsync(() => contacts.GetAsync(r =>
            {
                r.QueryParameters.Top = options.Value.PageSize;
                r.QueryParameters.Count = true;
                r.QueryParameters.Select = select;
            }, cancellationToken));
            while (page is not null)
            {
                total ??= page.OdataCount is { } count ? (int)count : null;
                await ApplyPageAsync(page.Value ?? [], mappings, tally, cancellationToken);
                progress?.Report(new ContactImportProgress(tally.Processed, total ?? (page.OdataNextLink is null ? tally.Processed : null)));
                if (page.OdataNextLink is not { } next)
                {
                    break;
                }

                page = await GraphCall.RunAsync(() => contacts.WithUrl(next).GetAsync(cancellationToken: cancellationToken));
            }
        }
        catch (CredentialException ex)
        {
            error = ContactsError(ex);
            logger.LogWarning("Contact import of mailbox {MailboxId} stopped: {Code} {Message}", mailboxId, error.Code, error.Message);
        }

        var finished = time.GetUtcNow();
        await using (var db = await contexts.CreateDbContextAsync(CancellationToken.None))
        {
            db.Attach(run);
            run.FinishedAt = finished;
            run.Processed = tally.Processed;
            run.Created = tally.Created;
            run.Updated = tally.Updated;
            run.Unchanged = tally.Unchanged;
            run.Skipped = tally.Skipped.Count;
            run.SkippedJson = tally.Skipped.Count == 0 ? null : JsonSerializer.Serialize(tally.Skipped.Take(SkippedKept), Json);
            run.ErrorCode = error?.Code;
            run.ErrorMessage = error?.Message;
            var settings = await db.Set<ContactImportSettings>().SingleOrDefaultAsync(s => s.MailboxId == mailboxId, CancellationToken.None);
            if (settings is null && error is not null)
            {
                settings = new ContactImportSettings { MailboxId = mailboxId };
                db.Add(settings);
            }

            if (settings is not null)
            {
                settings.LastFailureCode = error?.Code;
                settings.LastFailureMessage = error?.Message;
                settings.LastFailureAt = error is null ? null : finished;
            }

            await db.SaveChangesAsync(CancellationToken.None);
        }

        logger.LogInformation("Contact import of mailbox {MailboxId} ({Trigger}): {Processed} read, {Created} created, {Updated} updated, {Unchanged} unchanged, {Skipped} skipped",
            mailboxId, trigger, tally.Processed, tally.Created, tally.Updated, tally.Unchanged, tally.Skipped.Count);
        events.RaiseChanged(mailboxId);
        if (error is not null)
        {
            events.RaiseFailed(new ContactImportFailure(mailboxId, error, finished, trigger));
        }

        return new ContactImportReport(tally.Processed, tally.Created, tally.Updated, tally.Unchanged, tally.Skipped, error, run.Id);
    }

    /// <summary>Creates or updates the users of one page of contacts, in one transaction.</summary>
    private async Task ApplyPageAsync(IReadOnlyList<Contact> page, IReadOnlyList<ContactMappingItem> mappings, Tally tally, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var fields = mappings.Select(m => (m.UserField, Field: OutlookContactFields.Find(m.OutlookField)!)).ToList();
        var emailField = fields.Single(f => f.UserField == UserField.Email).Field;
        var rows = page.Where(c => c.Id is not null).Select(c => (Contact: c, Email: Clean(emailField.Read(c))?.ToLowerInvariant())).ToList();
        var ids = rows.Select(r => r.Contact.Id!).ToList();
        var emails = rows.Select(r => r.Email).OfType<string>().Distinct().ToList();

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var known = await db.Set<EndUser>().Where(u => (u.OutlookContactId != null && ids.Contains(u.OutlookContactId)) || emails.Contains(u.Email)).ToListAsync(cancellationToken);
        foreach (var (contact, email) in rows)
        {
            tally.Processed++;
            var name = Clean(contact.DisplayName) ?? email ?? contact.Id!;
            if (email is null)
            {
                tally.Skip(contact, name, "No email address: users are matched by email, so a contact without one is not imported.");
                continue;
            }

            if (!OutlookContactFields.IsEmailAddress(email))
            {
                tally.Skip(contact, name, $"'{email}' is not a valid email address.");
                continue;
            }

            var user = known.FirstOrDefault(u => u.OutlookContactId == contact.Id) ?? known.FirstOrDefault(u => u.Email == email);
            if (user is not null && tally.ContactByEmail.TryGetValue(user.Email, out var other) && other != contact.Id)
            {
                tally.Skip(contact, name, $"Another contact in this import has the same email address ({email}); only the first one is imported.");
                continue;
            }

            if (user is not null && user.Email != email && known.Any(u => u != user && u.Email == email))
            {
                tally.Skip(contact, name, $"The contact's email address changed to {email}, which belongs to another user.");
                continue;
            }

            var created = user is null;
            if (user is null)
            {
                user = new EndUser { Email = email, Name = name, CreatedAt = now, SiteId = await Requesters.SiteForAsync(db, email, now, cancellationToken) };
                db.Add(user);
                known.Add(user);
            }

            var changed = Set(user.Email, email, v => user.Email = v) | Set(user.OutlookContactId, contact.Id!, v => user.OutlookContactId = v);
            foreach (var (target, field) in fields.Where(f => f.UserField != UserField.Email))
            {
                // Only mapped fields are written, and an empty Outlook value never blanks what the portal already holds.
                if (Clean(field.Read(contact)) is { } value)
                {
                    changed |= Write(user, target, value);
                }
            }

            tally.ContactByEmail[user.Email] = contact.Id!;
            if (created)
            {
                tally.Created++;
            }
            else if (changed)
            {
                user.UpdatedAt = now;
                tally.Updated++;
            }
            else
            {
                tally.Unchanged++;
            }
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    private static bool Write(EndUser user, UserField field, string value) => field switch
    {
        UserField.Name => Set(user.Name, Limit(value, 256), v => user.Name = v),
        UserField.FirstName => Set(user.FirstName, value, v => user.FirstName = v),
        UserField.LastName => Set(user.LastName, value, v => user.LastName = v),
        UserField.Phone => Set(user.Phone, value, v => user.Phone = v),
        UserField.Mobile => Set(user.Mobile, value, v => user.Mobile = v),
        UserField.JobTitle => Set(user.JobTitle, value, v => user.JobTitle = v),
        UserField.Department => Set(user.Department, value, v => user.Department = v),
        UserField.Company => Set(user.Company, value, v => user.Company = v),
        UserField.Address => Set(user.Address, value, v => user.Address = v),
        UserField.Notes => Set(user.Notes, value, v => user.Notes = v),
        _ => false,
    };

    private static bool Set(string? current, string value, Action<string> assign)
    {
        if (string.Equals(current, value, StringComparison.Ordinal))
        {
            return false;
        }

        assign(value);
        return true;
    }

    private static string Limit(string value, int max) => value.Length <= max ? value : value[..max];

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>Graph's generic access denied on the contacts endpoint means the Contacts permission is missing (unless an access policy excludes the mailbox).</summary>
    private static KnownError ContactsError(CredentialException ex)
    {
        var graphMessage = ex.InnerException switch
        {
            ODataError o => o.Error?.Message,
            AggregateException { InnerExceptions: [.., ODataError last] } => last.Error?.Message,
            _ => null,
        };
        var policy = graphMessage?.Contains("Access to OData is disabled", StringComparison.OrdinalIgnoreCase) == true;
        return ex.Error.Code is "ErrorAccessDenied" or "Authorization_RequestDenied" && !policy
            ? KnownErrors.Find(KnownErrors.ContactsPermissionMissing)!
            : ex.Error;
    }

    private sealed class Tally
    {
        public int Processed { get; set; }

        public int Created { get; set; }

        public int Updated { get; set; }

        public int Unchanged { get; set; }

        public List<SkippedContact> Skipped { get; } = [];

        /// <summary>Which contact of this run wrote each user (by the user's email), so two contacts never fight over one user.</summary>
        public Dictionary<string, string> ContactByEmail { get; } = new(StringComparer.Ordinal);

        public void Skip(Contact contact, string name, string reason) => Skipped.Add(new SkippedContact(contact.Id!, name, reason));
    }
}
