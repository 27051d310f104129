using System.Globalization;
using System.Text.Json.Nodes;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Mail;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Sandbox.Graph;

/// <summary>Messages: list ($top, $skip, $select, $filter, $orderby), get, $value, attachments, PATCH, move, DELETE.</summary>
internal static class MessageHandlers
{
    private static readonly string[] ContentProperties = ["body", "uniqueBody", "internetMessageHeaders"];

    // The hot paths of mail ingestion (read a message, its MIME, move it) as compiled queries: no expression tree per call.
    private static readonly Func<SandboxDbContext, Guid, string, CancellationToken, Task<SbMessage?>> MessageQuery =
        EF.CompileAsyncQuery((SandboxDbContext db, Guid mailboxId, string id, CancellationToken ct) =>
            db.Messages.AsNoTracking().SingleOrDefault(m => m.MailboxId == mailboxId && m.Id == id));

    private static readonly Func<SandboxDbContext, Guid, string, CancellationToken, Task<byte[]?>> MimeQuery =
        EF.CompileAsyncQuery((SandboxDbContext db, Guid mailboxId, string id, CancellationToken ct) =>
            db.Messages.Where(m => m.MailboxId == mailboxId && m.Id == id)
                .Join(db.MessageContents, m => m.Id, c => c.MessageId, (m, c) => c.Mime)
                .FirstOrDefault());

    private static readonly Func<SandboxDbContext, string, CancellationToken, Task<SbMessageContent?>> BodiesQuery =
        EF.CompileAsyncQuery((SandboxDbContext db, string id, CancellationToken ct) =>
            db.MessageContents.Where(c => c.MessageId == id)
                .Select(c => new SbMessageContent { MessageId = c.MessageId, Mime = Array.Empty<byte>(), BodyHtml = c.BodyHtml, BodyText = c.BodyText })
                .SingleOrDefault());

    private static readonly Func<SandboxDbContext, Guid, string, CancellationToken, Task<MessageWithBodies?>> MessageWithBodiesQuery =
        EF.CompileAsyncQuery((SandboxDbContext db, Guid mailboxId, string id, CancellationToken ct) =>
            db.Messages.AsNoTracking().Where(m => m.MailboxId == mailboxId && m.Id == id)
                .Join(db.MessageContents, m => m.Id, c => c.MessageId,
                    (m, c) => new MessageWithBodies(m, new SbMessageContent { MessageId = c.MessageId, Mime = Array.Empty<byte>(), BodyHtml = c.BodyHtml, BodyText = c.BodyText }))
                .FirstOrDefault());

    private sealed record MessageWithBodies(SbMessage Message, SbMessageContent Bodies);

    public static async Task<GraphResult> List(GraphCall call)
    {
        var request = call.Request;
        var top = Paging.Top(request);
        var skip = Paging.Skip(request);
        var filter = ODataFilter.Parse(request.QueryValue("$filter"));
        var select = MessageJson.Select(request);
        await using var db = await Db(call);
        var query = db.Messages.AsNoTracking().Where(m => m.MailboxId == call.RequiredMailbox.Id);
        if (call.Values.TryGetValue("folder", out var folderKey))
        {
            var folder = await MailStore.FindFolderAsync(db, call.RequiredMailbox.Id, folderKey, call.Aborted) ?? throw GraphRequestException.ItemNotFound();
            query = query.Where(m => m.FolderId == folder.Id);
        }

        var matching = ODataFilter.OrderBy((await query.ToListAsync(call.Aborted)).Where(filter), request.QueryValue("$orderby")).ToList();
        var page = matching.Skip(skip).Take(top).ToList();
        var contents = await ContentsAsync(db, page.Select(m => m.Id).ToList(), select, call.Aborted);
        var preferText = MessageJson.PrefersText(request);
        var json = new JsonObject
        {
            ["@odata.context"] = Paging.Context(request, $"{call.UserSegment}/messages"),
            ["value"] = new JsonArray(page.Select(m => (JsonNode?)MessageJson.Message(m, contents.GetValueOrDefault(m.Id), preferText, select, call.RequiredMailbox.Id.ToString())).ToArray()),
        };
        if (skip + top < matching.Count)
        {
            json["@odata.nextLink"] = Paging.Link(request, new Dictionary<string, string?> { ["$skip"] = (skip + top).ToString(CultureInfo.InvariantCulture) });
        }

        return WithPreference(GraphResult.Ok(json), preferText);
    }

    public static async Task<GraphResult> Get(GraphCall call)
    {
        await using var db = await Db(call);
        var message = await FindAsync(db, call);
        var select = MessageJson.Select(call.Request);
        var contents = await ContentsAsync(db, [message.Id], select, call.Aborted);
        var preferText = MessageJson.PrefersText(call.Request);
        var json = MessageJson.Message(message, contents.GetValueOrDefault(message.Id), preferText, select, call.RequiredMailbox.Id.ToString());
        json.Insert(0, "@odata.context", Paging.Context(call.Request, $"{call.UserSegment}/messages/$entity"));
        return WithPreference(GraphResult.Ok(json), preferText);
    }

    public static async Task<GraphResult> GetMime(GraphCall call)
    {
        await using var db = await Db(call);
        byte[] mime;
        if (call.Values.ContainsKey("folder"))
        {
            var message = await FindAsync(db, call);
            mime = await db.MessageContents.AsNoTracking().Where(c => c.MessageId == message.Id).Select(c => c.Mime).SingleAsync(call.Aborted);
        }
        else
        {
            // One query: the mailbox's message joined to its MIME (nothing else is read).
            mime = await MimeQuery(db, call.RequiredMailbox.Id, call["message"], call.Aborted) ?? throw GraphRequestException.ItemNotFound();
        }

        return new GraphResult(200, Raw: mime, ContentType: "text/plain");
    }

    public static async Task<GraphResult> ListAttachments(GraphCall call)
    {
        await using var db = await Db(call);
        var message = await FindAsync(db, call);
        var attachments = await db.Attachments.AsNoTracking().Where(a => a.MessageId == message.Id).ToListAsync(call.Aborted);
        return GraphResult.Ok(new JsonObject
        {
            ["@odata.context"] = Paging.Context(call.Request, $"{call.UserSegment}/messages('{message.Id}')/attachments"),
            ["value"] = new JsonArray(attachments.Select(a => (JsonNode?)MessageJson.Attachment(a, withContent: true)).ToArray()),
        });
    }

    public static async Task<GraphResult> GetAttachment(GraphCall call)
    {
        var attachment = await FindAttachmentAsync(call);
        var json = MessageJson.Attachment(attachment, withContent: true);
        json.Insert(0, "@odata.context", Paging.Context(call.Request, $"{call.UserSegment}/messages('{attachment.MessageId}')/attachments/$entity"));
        return GraphResult.Ok(json);
    }

    public static async Task<GraphResult> GetAttachmentValue(GraphCall call)
    {
        var attachment = await FindAttachmentAsync(call);
        return new GraphResult(200, Raw: attachment.Content, ContentType: attachment.ContentType);
    }

    public static async Task<GraphResult> Update(GraphCall call)
    {
        var body = call.Request.JsonBody();
        await using (var db = await Db(call))
        {
            await FindAsync(db, call);
        }

        foreach (var name in body.Select(p => p.Key.Length > 0 ? char.ToLowerInvariant(p.Key[0]) + p.Key[1..] : p.Key))
        {
            if (name is "subject" or "body" or "toRecipients" or "ccRecipients" or "bccRecipients" or "from" or "sender")
            {
                throw new GraphRequestException(400, "ErrorInvalidPropertyUpdateSentMessage", "Update operation is invalid for property of a sent message.");
            }

            if (name is not ("isRead" or "categories" or "importance" or "flag" or "inferenceClassification" or "@odata.type"))
            {
                throw new GraphRequestException(400, "ErrorInvalidProperty", $"The property '{name}' does not exist on type 'microsoft.graph.message' or cannot be updated.");
            }
        }

        var store = call.Services.GetRequiredService<MailStore>();
        var updated = await store.UpdateAsync(call.RequiredMailbox.Id, call["message"], m =>
        {
            if (body["isRead"] is { } isRead)
            {
                m.IsRead = isRead.GetValue<bool>();
            }

            if (body["categories"] is JsonArray categories)
            {
                m.Categories = categories.Select(c => c!.GetValue<string>()).ToList();
            }

            if (body["importance"] is { } importance)
            {
                m.Importance = importance.GetValue<string>().ToLowerInvariant();
            }

            if (body["flag"]?["flagStatus"] is { } flag)
            {
                m.FlagStatus = flag.GetValue<string>();
            }
        }, call.Aborted);
        var json = MessageJson.Message(updated, null, false, null, call.RequiredMailbox.Id.ToString());
        json.Insert(0, "@odata.context", Paging.Context(call.Request, $"{call.UserSegment}/messages/$entity"));
        return GraphResult.Ok(json);
    }

    public static async Task<GraphResult> Move(GraphCall call)
    {
        var destination = call.Request.JsonBody()["destinationId"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(destination))
        {
            throw new GraphRequestException(400, "ErrorInvalidIdMalformed", "Id is malformed.");
        }

        await using var db = await Db(call);
        SbMessage message;
        SbMessageContent? bodies;
        if (call.Values.ContainsKey("folder"))
        {
            message = await FindAsync(db, call);
            bodies = await BodiesQuery(db, message.Id, call.Aborted);
        }
        else
        {
            var found = await MessageWithBodiesQuery(db, call.RequiredMailbox.Id, call["message"], call.Aborted) ?? throw GraphRequestException.ItemNotFound();
            (message, bodies) = (found.Message, found.Bodies);
        }

        // The bodies never change, so those read before the move are the moved message's.
        var moved = await call.Services.GetRequiredService<MailStore>().MoveAsync(db, message, destination, call.Aborted);
        var json = MessageJson.Message(moved, bodies ?? throw new InvalidOperationException($"The message {message.Id} has no content."),
            MessageJson.PrefersText(call.Request), null, call.RequiredMailbox.Id.ToString());
        json.Insert(0, "@odata.context", Paging.Context(call.Request, $"{call.UserSegment}/messages/$entity"));
        return GraphResult.Created(json);
    }

    public static async Task<GraphResult> Delete(GraphCall call)
    {
        await using (var db = await Db(call))
        {
            await FindAsync(db, call);
        }

        await call.Services.GetRequiredService<MailStore>().DeleteAsync(call.RequiredMailbox.Id, call["message"], call.Aborted);
        return GraphResult.NoContent;
    }

    private static async Task<SbMessage> FindAsync(SandboxDbContext db, GraphCall call)
    {
        var message = await MessageQuery(db, call.RequiredMailbox.Id, call["message"], call.Aborted) ?? throw GraphRequestException.ItemNotFound();
        if (call.Values.TryGetValue("folder", out var folderKey))
        {
            var folder = await MailStore.FindFolderAsync(db, call.RequiredMailbox.Id, folderKey, call.Aborted);
            if (folder is null || folder.Id != message.FolderId)
            {
                throw GraphRequestException.ItemNotFound();
            }
        }

        return message;
    }

    private static async Task<SbAttachment> FindAttachmentAsync(GraphCall call)
    {
        await using var db = await Db(call);
        var message = await FindAsync(db, call);
        var id = call["attachment"];
        return await db.Attachments.AsNoTracking().SingleOrDefaultAsync(a => a.MessageId == message.Id && a.Id == id, call.Aborted)
               ?? throw GraphRequestException.ItemNotFound();
    }

    internal static async Task<Dictionary<string, SbMessageContent>> ContentsAsync(SandboxDbContext db, List<string> ids, ISet<string>? select, CancellationToken ct)
    {
        if (ids.Count == 0 || select is not null && !ContentProperties.Any(select.Contains))
        {
            return [];
        }

        return await db.MessageContents.AsNoTracking().Where(c => ids.Contains(c.MessageId)).ToDictionaryAsync(c => c.MessageId, ct);
    }

    private static GraphResult WithPreference(GraphResult result, bool preferText) =>
        preferText ? result.WithHeader("Preference-Applied", "outlook.body-content-type=\"text\"") : result;

    internal static async Task<SandboxDbContext> Db(GraphCall call) =>
        await call.Services.GetRequiredService<IDbContextFactory<SandboxDbContext>>().CreateDbContextAsync(call.Aborted);
}
