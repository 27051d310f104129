using System.Text;
using System.Text.Json.Nodes;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Mail;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MimeKit.Utils;

namespace HaloPortal.Sandbox.Graph;

/// <summary>
/// Composing in the mailbox, as Graph does for mail too large for <c>sendMail</c>: <c>POST /messages</c> creates a draft in Drafts
/// (from a JSON message or base64 MIME), <c>POST .../attachments</c> adds a file of up to 3 MB, <c>createUploadSession</c> starts an
/// upload of up to 150 MB (<see cref="AttachmentUploads"/>), and <c>POST .../send</c> sends the draft: delivered to the sandbox
/// recipients like <c>sendMail</c>, and the draft itself moves to Sent Items.
/// </summary>
internal static class DraftHandlers
{
    /// <summary>The largest attachment <c>POST .../attachments</c> takes; larger ones need an upload session.</summary>
    public const int MaxInlineAttachmentBytes = 3 * 1024 * 1024;

    public static async Task<GraphResult> Create(GraphCall call)
    {
        var mailbox = call.RequiredMailbox;
        var now = call.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        MimeMessage message;
        if (call.Request.ContentType?.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase) == true)
        {
            try
            {
                message = MimeConverter.Load(Convert.FromBase64String(Encoding.ASCII.GetString(call.Request.Body).Trim()));
            }
            catch (Exception ex) when (ex is FormatException or ParseException)
            {
                throw new GraphRequestException(400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.");
            }

            if (message.From.Count == 0)
            {
                message.From.Add(new MailboxAddress(mailbox.DisplayName, mailbox.UserPrincipalName));
            }
        }
        else
        {
            message = MimeConverter.FromGraph(call.Request.JsonBody().AsObject(), mailbox, now);
        }

        if (string.IsNullOrEmpty(message.MessageId))
        {
            message.MessageId = MimeUtils.GenerateMessageId(mailbox.UserPrincipalName.Split('@').Last());
        }

        var draft = await call.Services.GetRequiredService<MailStore>().DeliverAsync(mailbox, MimeConverter.ToBytes(message), "drafts", isRead: true, call.Aborted, isDraft: true);
        return GraphResult.Created(MessageJson.Message(draft, null, false, null, mailbox.Id.ToString()));
    }

    public static async Task<GraphResult> AddAttachment(GraphCall call)
    {
        var json = call.Request.JsonBody();
        var type = json["@odata.type"]?.GetValue<string>() ?? "#microsoft.graph.fileAttachment";
        if (!string.Equals(type, "#microsoft.graph.fileAttachment", StringComparison.OrdinalIgnoreCase))
        {
            throw new GraphRequestException(400, "ErrorInvalidRequest", $"Only file attachments are supported here, not '{type}'.");
        }

        var name = json["name"]?.GetValue<string>();
        var bytes = json["contentBytes"]?.GetValue<string>() is { } base64 ? Convert.FromBase64String(base64) : null;
        if (string.IsNullOrWhiteSpace(name) || bytes is null)
        {
            throw new GraphRequestException(400, "ErrorInvalidRequest", "A file attachment needs a name and contentBytes.");
        }

        if (bytes.Length > MaxInlineAttachmentBytes)
        {
            throw new GraphRequestException(413, "ErrorRequestEntityTooLarge", $"The attachment is {bytes.Length} bytes; attachments over 3 MB need an upload session (createUploadSession).");
        }

        var store = call.Services.GetRequiredService<MailStore>();
        var messageId = call.Values["message"];
        var existing = await store.AttachmentBytesAsync(call.RequiredMailbox.Id, messageId, call.Aborted) ?? throw GraphRequestException.ItemNotFound();
        if (existing + bytes.Length > AttachmentUploads.MaxAttachmentBytes)
        {
            throw new GraphRequestException(413, "ErrorMessageSizeExceeded", "The message exceeds the maximum supported size of 150 MB.");
        }

        var attachment = await store.AddAttachmentAsync(call.RequiredMailbox.Id, messageId,
            new NewAttachment(name, json["contentType"]?.GetValue<string>() ?? "application/octet-stream", json["isInline"]?.GetValue<bool>() ?? false, json["contentId"]?.GetValue<string>(), bytes),
            call.Aborted);
        return GraphResult.Created(MessageJson.Attachment(attachment, withContent: false));
    }

    public static Task<GraphResult> CreateUploadSession(GraphCall call) => call.Services.GetRequiredService<AttachmentUploads>().CreateAsync(call);

    public static async Task<GraphResult> Send(GraphCall call)
    {
        var mailbox = call.RequiredMailbox;
        var messageId = call.Values["message"];
        byte[] raw;
        SbMessage draft;
        await using (var db = await call.Services.GetRequiredService<IDbContextFactory<SandboxDbContext>>().CreateDbContextAsync(call.Aborted))
        {
            draft = await db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.MailboxId == mailbox.Id && m.Id == messageId, call.Aborted) ?? throw GraphRequestException.ItemNotFound();
            if (!draft.IsDraft)
            {
                throw new GraphRequestException(400, "ErrorInvalidOperation", "Only a draft can be sent; this message was sent or received already.");
            }

            raw = await db.MessageContents.Where(c => c.MessageId == messageId).Select(c => c.Mime).SingleAsync(call.Aborted);
        }

        var message = MimeConverter.Load(raw);
        if (message.To.Count + message.Cc.Count + message.Bcc.Count == 0)
        {
            throw new GraphRequestException(400, "ErrorInvalidRecipients", "At least one recipient isn't valid., A message can't be sent because it contains no recipients.");
        }

        message.Date = call.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        await SendMailHandler.DeliverAsync(call, message, saveToSentItems: false);

        // The draft itself becomes the Sent Items copy (same Message-ID), as in Exchange.
        var store = call.Services.GetRequiredService<MailStore>();
        await using (var db = await call.Services.GetRequiredService<IDbContextFactory<SandboxDbContext>>().CreateDbContextAsync(call.Aborted))
        {
            var sent = await store.MoveAsync(db, draft, "sentitems", call.Aborted);
            await store.UpdateAsync(mailbox.Id, sent.Id, m => m.IsDraft = false, call.Aborted);
        }

        return GraphResult.Accepted;
    }
}
