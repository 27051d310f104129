using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Nodes;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Contacts;

internal sealed class ContactMappingService(IDbContextFactory<PortalDbContext> contexts, TimeProvider time, ContactImportEvents events) : IContactMappings
{
    public async Task<ContactMappingSet> GetAsync(int mailboxId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await LoadAsync(db, mailboxId, cancellationToken);
    }

    internal static async Task<ContactMappingSet> LoadAsync(PortalDbContext db, int mailboxId, CancellationToken cancellationToken)
    {
        var saved = await db.Set<ContactImportSettings>().AsNoTracking().Where(s => s.MailboxId == mailboxId).Select(s => s.MappingsSaved).SingleOrDefaultAsync(cancellationToken);
        if (!saved)
        {
            return new ContactMappingSet(OutlookContactFields.Defaults, IsDefault: true);
        }

        var items = await db.Set<ContactMapping>().AsNoTracking().Where(m => m.MailboxId == mailboxId).OrderBy(m => m.Id)
            .Select(m => new ContactMappingItem(m.OutlookField, m.UserField)).ToListAsync(cancellationToken);
        return new ContactMappingSet(items, IsDefault: false);
    }

    public async Task<ContactMappingSet> SaveAsync(int mailboxId, IReadOnlyList<ContactMappingItem> mappings, Actor actor, CancellationToken cancellationToken = default)
    {
        var normalised = mappings.Select(m => new ContactMappingItem(OutlookContactFields.Find(m.OutlookField)?.Key ?? m.OutlookField, m.UserField)).ToList();
        var errors = OutlookContactFields.Validate(normalised);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), "mappings");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Set<Mailbox>().AnyAsync(m => m.Id == mailboxId, cancellationToken))
        {
            throw new KeyNotFoundException($"Mailbox {mailboxId} does not exist.");
        }

        var before = await LoadAsync(db, mailboxId, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Set<ContactMapping>().Where(m => m.MailboxId == mailboxId).ExecuteDeleteAsync(cancellationToken);
        var settings = await db.Set<ContactImportSettings>().SingleOrDefaultAsync(s => s.MailboxId == mailboxId, cancellationToken);
        if (settings is null)
        {
            settings = new ContactImportSettings { MailboxId = mailboxId };
            db.Add(settings);
        }

        settings.MappingsSaved = true;
        settings.UpdatedAt = time.GetUtcNow();
        db.AddRange(normalised.Select(m => new ContactMapping { MailboxId = mailboxId, OutlookField = m.OutlookField, UserField = m.UserField }));
        db.Audit(time, actor, "ContactMappings.Saved", "Mailbox", mailboxId.ToString(),
            before.Items.Select(m => $"{m.OutlookField} → {m.UserField}").ToList(), normalised.Select(m => $"{m.OutlookField} → {m.UserField}").ToList());
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        events.RaiseChanged(mailboxId);
        return new ContactMappingSet(normalised, IsDefault: false);
    }
}

/// <summary>
/// The events of the contacts feature, shared by its services. <see cref="Changed"/> reaches the other portal nodes through the
/// change feed; <see cref="ImportFailed"/> stays on the node that ran the import (its notification travels on its own).
/// </summary>
internal sealed class ContactImportEvents(IChangeFeed feed) : IChangeTopic
{
    private const string Topic = "contact-imports";

    public event Action<int>? Changed;

    public event Action<ContactImportFailure>? ImportFailed;

    string IChangeTopic.Topic => Topic;

    public void RaiseChanged(int mailboxId)
    {
        feed.Publish(Topic, ChangeKeys.Of(mailboxId));
        Changed?.Invoke(mailboxId);
    }

    Task IChangeTopic.ApplyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        foreach (var mailboxId in ChangeKeys.Ints(keys))
        {
            Changed?.Invoke(mailboxId);
        }

        return Task.CompletedTask;
    }

    public void RaiseFailed(ContactImportFailure failure) => ImportFailed?.Invoke(failure);
}
