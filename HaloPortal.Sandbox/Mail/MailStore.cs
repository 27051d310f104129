using System.Collections.Concurrent;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Graph;
using HaloPortal.Sandbox.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace HaloPortal.Sandbox.Mail;

/// <summary>A file attached to a message being composed.</summary>
internal sealed record NewAttachment(string Name, string ContentType, bool IsInline, string? ContentId, byte[] Content);

/// <summary>A change to a mailbox item, for change notifications.</summary>
internal sealed record MailChange(Guid MailboxId, string FolderId, string MessageId, string ChangeType, long Seq);

/// <summary>
/// Every write to mailboxes: delivery, move, delete, update, folders and contacts. Writes are serialised through one gate so
/// the change sequence (behind delta tokens) stays strictly increasing; change notifications are queued after each commit.
/// </summary>
internal sealed class MailStore(IDbContextFactory<SandboxDbContext> contexts, TimeProvider time, ChangeNotifier notifier)
{
    public static readonly (string WellKnown, string DisplayName)[] WellKnownFolders =
    [
        ("inbox", "Inbox"),
        ("sentitems", "Sent Items"),
        ("deleteditems", "Deleted Items"),
        ("archive", "Archive"),
        ("drafts", "Drafts"),
        ("junkemail", "Junk Email"),
        ("outbox", "Outbox"),
    ];

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<(Guid Mailbox, string Key), SbFolder> _folders = new();

    /// <summary>Creates the root and the well-known folders of a new mailbox (in the caller's unit of work).</summary>
    public void AddWellKnownFolders(SandboxDbContext db, Guid mailboxId)
    {
        var now = time.GetUtcNow();
        var root = new SbFolder { Id = SandboxIds.FolderId(), MailboxId = mailboxId, DisplayName = "Top of Information Store", WellKnownName = "msgfolderroot", CreatedAt = now };
        db.Folders.Add(root);
        foreach (var (wellKnown, name) in WellKnownFolders)
        {
            db.Folders.Add(new SbFolder { Id = SandboxIds.FolderId(), MailboxId = mailboxId, ParentId = root.Id, DisplayName = name, WellKnownName = wellKnown, CreatedAt = now });
        }
    }

    /// <summary>A folder by well-known name or id; null when the mailbox has no such folder.</summary>
    public static async Task<SbFolder?> FindFolderAsync(SandboxDbContext db, Guid mailboxId, string folder, CancellationToken ct)
    {
        var wellKnown = folder.ToLowerInvariant();
        return await db.Folders.AsNoTracking().FirstOrDefaultAsync(
            f => f.MailboxId == mailboxId && (f.Id == folder || f.WellKnownName == wellKnown), ct);
    }

    /// <summary>
    /// <see cref="FindFolderAsync"/>, remembering what it found: folders are never renamed, moved or deleted, so a folder found once
    /// stays what the key names (a folder created later is found then: nothing missing is remembered).
    /// </summary>
    public async Task<SbFolder?> FindFolderCachedAsync(SandboxDbContext db, Guid mailboxId, string folder, CancellationToken ct)
    {
        if (_folders.TryGetValue((mailboxId, folder), out var known))
        {
            return known;
        }

        var found = await FindFolderAsync(db, mailboxId, folder, ct);
        if (found is not null)
        {
            if (_folders.Count >= 10_000)
            {
                _folders.Clear();
            }

            _folders[(mailboxId, folder)] = found;
        }

        return found;
    }

    /// <summary>Stores raw MIME in a folder as a new message (a draft: in Drafts, by <c>POST /messages</c>).</summary>
    public async Task<SbMessage> DeliverAsync(SbUser mailbox, byte[] mime, string folder, bool isRead, CancellationToken ct, bool isDraft = false)
    {
        MailChange change;
        SbMessage message;
        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            var target = await FindFolderAsync(db, mailbox.Id, folder, ct) ?? throw GraphRequestException.ItemNotFound();
            var parsed = MimeConverter.Parse(mime, mailbox.Id, target.Id, time.GetUtcNow(), mailbox.UserPrincipalName.Split('@').Last());
            message = parsed.Message;
            message.IsRead = isRead;
            message.IsDraft = isDraft;
            if (parsed.References.Count > 0)
            {
                var ids = parsed.References.Select(r => "<" + r + ">").ToList();
                var conversation = await db.Messages.AsNoTracking()
                    .Where(m => m.MailboxId == mailbox.Id && m.InternetMessageId != null && ids.Contains(m.InternetMessageId))
                    .Select(m => m.ConversationId).FirstOrDefaultAsync(ct);
                if (conversation is not null)
                {
                    message.ConversationId = conversation;
                }
            }

            message.ChangeSeq = await db.NextSeqAsync(ct);
            db.Messages.Add(message);
            db.MessageContents.Add(parsed.Content);
            db.Attachments.AddRange(parsed.Attachments);
            await db.SaveChangesAsync(ct);
            change = new MailChange(mailbox.Id, target.Id, message.Id, "created", message.ChangeSeq);
        }
        finally
        {
            _gate.Release();
        }

        await notifier.PublishAsync([change], ct);
        return message;
    }

    /// <summary>
    /// Moves a message (as last read by the caller, in the caller's unit of work; nothing is tracked): it gets a new id in the
    /// destination folder; the old id is removed from the source. Bodies, MIME and attachments move with it unchanged.
    /// </summary>
    public async Task<SbMessage> MoveAsync(SandboxDbContext db, SbMessage message, string destination, CancellationToken ct)
    {
        List<MailChange> changes;
        SbMessage moved;
        var target = await FindFolderCachedAsync(db, message.MailboxId, destination, ct) ?? throw GraphRequestException.ItemNotFound();
        await _gate.WaitAsync(ct);
        try
        {
            (moved, changes) = await MoveCoreAsync(db, message, target, ct);
        }
        finally
        {
            _gate.Release();
        }

        await notifier.PublishAsync(changes, ct);
        return moved;
    }

    /// <summary>The bytes of a message's attachments (what counts towards Exchange's 150 MB); null when there is no such message.</summary>
    public async Task<long?> AttachmentBytesAsync(Guid mailboxId, string messageId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        if (!await db.Messages.AnyAsync(m => m.MailboxId == mailboxId && m.Id == messageId, ct))
        {
            return null;
        }

        return await db.Attachments.Where(a => a.MessageId == messageId).SumAsync(a => (long)a.Content.Length, ct);
    }

    /// <summary>
    /// Adds a file attachment to a message (a draft being composed): its MIME gains the part, so what is sent (or read as
    /// <c>$value</c>) carries it, and it is listed with the message's attachments.
    /// </summary>
    public async Task<SbAttachment> AddAttachmentAsync(Guid mailboxId, string messageId, NewAttachment added, CancellationToken ct)
    {
        SbAttachment attachment;
        SbMessage message;
        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            message = await db.Messages.SingleOrDefaultAsync(m => m.MailboxId == mailboxId && m.Id == messageId, ct) ?? throw GraphRequestException.ItemNotFound();
            var content = await db.MessageContents.SingleAsync(c => c.MessageId == messageId, ct);
            var mime = MimeConverter.Load(content.Mime);
            var part = new MimeKit.MimePart(MimeKit.ContentType.TryParse(added.ContentType, out var type) ? type : new MimeKit.ContentType("application", "octet-stream"))
            {
                Content = new MimeKit.MimeContent(new MemoryStream(added.Content, writable: false)),
                ContentDisposition = new MimeKit.ContentDisposition(added.IsInline ? MimeKit.ContentDisposition.Inline : MimeKit.ContentDisposition.Attachment),
                ContentTransferEncoding = MimeKit.ContentEncoding.Base64,
                FileName = added.Name,
            };
            if (added.ContentId is { Length: > 0 } contentId)
            {
                part.ContentId = contentId;
            }

            if (mime.Body is MimeKit.Multipart { ContentType.MediaSubtype: var subtype } mixed && string.Equals(subtype, "mixed", StringComparison.OrdinalIgnoreCase))
            {
                mixed.Add(part);
            }
            else
            {
                var mixedBody = new MimeKit.Multipart("mixed");
                if (mime.Body is { } body)
                {
                    mixedBody.Add(body);
                }

                mixedBody.Add(part);
                mime.Body = mixedBody;
            }

            content.Mime = MimeConverter.ToBytes(mime);
            var now = time.GetUtcNow();
            attachment = new SbAttachment
            {
                Id = SandboxIds.AttachmentId(),
                MessageId = messageId,
                Name = added.Name,
                ContentType = added.ContentType,
                IsInline = added.IsInline,
                ContentId = added.ContentId,
                Content = added.Content,
                LastModifiedAt = now,
            };
            db.Attachments.Add(attachment);
            message.HasAttachments |= !added.IsInline;
            message.ChangeSeq = await db.NextSeqAsync(ct);
            message.LastModifiedAt = now;
            await db.SaveChangesAsync(ct);
        }
        finally
        {
            _gate.Release();
        }

        await notifier.PublishAsync([new MailChange(mailboxId, message.FolderId, message.Id, "updated", message.ChangeSeq)], ct);
        return attachment;
    }

    /// <summary>Deletes a message: from a folder it moves to Deleted Items; from Deleted Items it is gone.</summary>
    public async Task DeleteAsync(Guid mailboxId, string messageId, CancellationToken ct)
    {
        List<MailChange> changes;
        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            var message = await db.Messages.SingleOrDefaultAsync(m => m.MailboxId == mailboxId && m.Id == messageId, ct) ?? throw GraphRequestException.ItemNotFound();
            var deletedItems = await FindFolderAsync(db, mailboxId, "deleteditems", ct);
            if (deletedItems is not null && message.FolderId != deletedItems.Id)
            {
                (_, changes) = await MoveCoreAsync(db, message, deletedItems, ct);
                changes = changes.Select(c => c.ChangeType == "deleted" ? c : c with { ChangeType = "created" }).ToList();
            }
            else
            {
                var seq = await db.NextSeqAsync(ct);
                db.Tombstones.Add(new SbTombstone { MailboxId = mailboxId, ContainerId = message.FolderId, ItemId = message.Id, ChangeSeq = seq, RemovedAt = time.GetUtcNow() });
                await db.Attachments.Where(a => a.MessageId == message.Id).ExecuteDeleteAsync(ct);
                await db.MessageContents.Where(c => c.MessageId == message.Id).ExecuteDeleteAsync(ct);
                db.Messages.Remove(message);
                changes = [new MailChange(mailboxId, message.FolderId, message.Id, "deleted", seq)];
                await db.SaveChangesAsync(ct);
            }
        }
        finally
        {
            _gate.Release();
        }

        await notifier.PublishAsync(changes, ct);
    }

    /// <summary>Applies a change to a message's mutable properties and bumps its change key.</summary>
    public async Task<SbMessage> UpdateAsync(Guid mailboxId, string messageId, Action<SbMessage> update, CancellationToken ct)
    {
        SbMessage message;
        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            message = await db.Messages.SingleOrDefaultAsync(m => m.MailboxId == mailboxId && m.Id == messageId, ct) ?? throw GraphRequestException.ItemNotFound();
            update(message);
            message.ChangeSeq = await db.NextSeqAsync(ct);
            message.LastModifiedAt = time.GetUtcNow();
            await db.SaveChangesAsync(ct);
        }
        finally
        {
            _gate.Release();
        }

        await notifier.PublishAsync([new MailChange(mailboxId, message.FolderId, message.Id, "updated", message.ChangeSeq)], ct);
        return message;
    }

    public async Task<SbFolder> CreateFolderAsync(Guid mailboxId, string? parentId, string displayName, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var parent = parentId is null
            ? await FindFolderAsync(db, mailboxId, "msgfolderroot", ct)
            : await FindFolderAsync(db, mailboxId, parentId, ct);
        if (parent is null)
        {
            throw GraphRequestException.ItemNotFound();
        }

        if (await db.Folders.AnyAsync(f => f.MailboxId == mailboxId && f.ParentId == parent.Id && f.DisplayName == displayName, ct))
        {
            throw new GraphRequestException(409, "ErrorFolderExists", "A folder with the specified name already exists.");
        }

        var folder = new SbFolder { Id = SandboxIds.FolderId(), MailboxId = mailboxId, ParentId = parent.Id, DisplayName = displayName, CreatedAt = time.GetUtcNow() };
        db.Folders.Add(folder);
        await db.SaveChangesAsync(ct);
        return folder;
    }

    public async Task<IReadOnlyList<SbContact>> AddContactsAsync(Guid mailboxId, IEnumerable<(string DisplayName, string Json)> contacts, CancellationToken ct)
    {
        var added = new List<SbContact>();
        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            var now = time.GetUtcNow();
            foreach (var (displayName, json) in contacts)
            {
                var contact = new SbContact
                {
                    Id = SandboxIds.ContactId(),
                    MailboxId = mailboxId,
                    DisplayName = displayName,
                    Json = json,
                    ChangeSeq = await db.NextSeqAsync(ct),
                    CreatedAt = now,
                    LastModifiedAt = now,
                };
                db.Contacts.Add(contact);
                added.Add(contact);
            }

            await db.SaveChangesAsync(ct);
        }
        finally
        {
            _gate.Release();
        }

        return added;
    }

    public async Task DeleteContactAsync(Guid mailboxId, string contactId, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            var contact = await db.Contacts.SingleOrDefaultAsync(c => c.MailboxId == mailboxId && c.Id == contactId, ct) ?? throw GraphRequestException.ItemNotFound();
            db.Contacts.Remove(contact);
            db.Tombstones.Add(new SbTombstone
            {
                MailboxId = mailboxId, ContainerId = SbTombstone.ContactsContainer, ItemId = contactId, ChangeSeq = await db.NextSeqAsync(ct), RemovedAt = time.GetUtcNow(),
            });
            await db.SaveChangesAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Moves a message in place, in one transaction (call inside the gate): the row takes a new id, folder and change sequence, its
    /// content and attachments follow (attachments get new ids, as in Exchange), and a tombstone records the old id in the source.
    /// <paramref name="message"/> may have been read before the gate: when it changed meanwhile it is read again.
    /// </summary>
    private async Task<(SbMessage Moved, List<MailChange> Changes)> MoveCoreAsync(SandboxDbContext db, SbMessage message, SbFolder target, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var newId = SandboxIds.MessageId();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var seq = await AllocateSeqAsync(db, 2, ct);
        var (removedSeq, movedSeq) = (seq - 1, seq);
        var updated = await UpdateMessageAsync(message.ChangeSeq);
        if (updated == 0)
        {
            message = await db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.MailboxId == message.MailboxId && m.Id == message.Id, ct)
                      ?? throw GraphRequestException.ItemNotFound();
            updated = await UpdateMessageAsync(message.ChangeSeq);
        }

        if (updated == 0)
        {
            throw new InvalidOperationException($"The message {message.Id} could not be moved.");
        }

        var (oldId, mailboxId, sourceId, removedAt) = (message.Id, message.MailboxId, message.FolderId, now.UtcTicks);
        var attachmentIds = await db.Database
            .SqlQuery<string>($"SELECT \"Id\" AS \"Value\" FROM \"Attachments\" WHERE \"MessageId\" = {oldId}").ToListAsync(ct);
        foreach (var attachmentId in attachmentIds)
        {
            var newAttachmentId = SandboxIds.AttachmentId();
            await db.Database.ExecuteSqlAsync($"UPDATE \"Attachments\" SET \"Id\" = {newAttachmentId}, \"MessageId\" = {newId} WHERE \"Id\" = {attachmentId}", ct);
        }

        await db.Database.ExecuteSqlAsync(
            $"""
             UPDATE "MessageContents" SET "MessageId" = {newId} WHERE "MessageId" = {oldId};
             INSERT INTO "Tombstones" ("MailboxId", "ContainerId", "ItemId", "ChangeSeq", "RemovedAt") VALUES ({mailboxId}, {sourceId}, {oldId}, {removedSeq}, {removedAt});
             """, ct);
        await transaction.CommitAsync(ct);
        var moved = new SbMessage
        {
            Id = newId,
            MailboxId = message.MailboxId,
            FolderId = target.Id,
            ChangeSeq = movedSeq,
            InternetMessageId = message.InternetMessageId,
            ConversationId = message.ConversationId,
            Subject = message.Subject,
            From = message.From,
            Sender = message.Sender,
            To = message.To,
            Cc = message.Cc,
            Bcc = message.Bcc,
            ReplyTo = message.ReplyTo,
            Categories = message.Categories,
            BodyPreview = message.BodyPreview,
            Importance = message.Importance,
            FlagStatus = message.FlagStatus,
            IsRead = message.IsRead,
            IsDraft = message.IsDraft,
            HasAttachments = message.HasAttachments,
            ReceivedAt = message.ReceivedAt,
            SentAt = message.SentAt,
            CreatedAt = message.CreatedAt,
            LastModifiedAt = now,
        };
        return (moved, [
            new MailChange(message.MailboxId, message.FolderId, oldId, "deleted", removedSeq),
            new MailChange(message.MailboxId, target.Id, newId, "created", movedSeq),
        ]);

        Task<int> UpdateMessageAsync(long expectedSeq)
        {
            var (mailboxId, id, folderId, targetId, modifiedAt) = (message.MailboxId, message.Id, message.FolderId, target.Id, now.UtcTicks);
            return db.Database.ExecuteSqlAsync(
                $"""
                 UPDATE "Messages" SET "Id" = {newId}, "FolderId" = {targetId}, "ChangeSeq" = {movedSeq}, "LastModifiedAt" = {modifiedAt}
                 WHERE "Id" = {id} AND "MailboxId" = {mailboxId} AND "FolderId" = {folderId} AND "ChangeSeq" = {expectedSeq}
                 """, ct);
        }
    }

    /// <summary>Takes <paramref name="count"/> values of the change sequence in one statement (inside the gate and a transaction); returns the last.</summary>
    private static async Task<long> AllocateSeqAsync(SandboxDbContext db, int count, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = "INSERT INTO \"Counters\" (\"Name\", \"Value\") VALUES ('change', $count) "
                              + "ON CONFLICT (\"Name\") DO UPDATE SET \"Value\" = \"Value\" + $count RETURNING \"Value\";";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "$count";
        parameter.Value = count;
        command.Parameters.Add(parameter);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }
}
