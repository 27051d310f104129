using System.Text;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Mail;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MimeKit.Utils;

namespace HaloPortal.Sandbox.Graph;

/// <summary><c>POST /users/{id}/sendMail</c>: JSON (<c>{message, saveToSentItems}</c>) or base64 MIME (text/plain); delivers to
/// sandbox recipients' inboxes and saves a copy in Sent Items. Answers 202 like Graph.</summary>
internal static class SendMailHandler
{
    public static async Task<GraphResult> SendMail(GraphCall call)
    {
        var sender = call.RequiredMailbox;
        var time = call.Services.GetRequiredService<TimeProvider>();
        MimeMessage message;
        var saveToSentItems = true;
        if (call.Request.ContentType?.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase) == true)
        {
            byte[] mime;
            try
            {
                mime = Convert.FromBase64String(Encoding.ASCII.GetString(call.Request.Body).Trim());
                message = MimeConverter.Load(mime);
            }
            catch (Exception ex) when (ex is FormatException or ParseException)
            {
                throw new GraphRequestException(400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.");
            }

            if (message.From.Count == 0)
            {
                message.From.Add(new MailboxAddress(sender.DisplayName, sender.UserPrincipalName));
            }

            if (string.IsNullOrEmpty(message.MessageId))
            {
                message.MessageId = MimeUtils.GenerateMessageId(sender.UserPrincipalName.Split('@').Last());
            }

            message.Date = time.GetUtcNow();
        }
        else
        {
            var body = call.Request.JsonBody();
            var json = body["message"]?.AsObject() ?? throw new GraphRequestException(400, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.");
            saveToSentItems = body["saveToSentItems"]?.GetValue<bool>() ?? true;
            message = MimeConverter.FromGraph(json, sender, time.GetUtcNow());
        }

        await DeliverAsync(call, message, saveToSentItems);
        return GraphResult.Accepted;
    }

    /// <summary>Delivers a sent message into its sandbox recipients' inboxes (Bcc removed) and, when asked, a copy into the sender's Sent Items.</summary>
    public static async Task DeliverAsync(GraphCall call, MimeMessage message, bool saveToSentItems)
    {
        var sender = call.RequiredMailbox;
        var recipients = message.To.Mailboxes.Concat(message.Cc.Mailboxes).Concat(message.Bcc.Mailboxes)
            .Select(m => m.Address).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (recipients.Count == 0)
        {
            throw new GraphRequestException(400, "ErrorInvalidRecipients", "At least one recipient isn't valid., A message can't be sent because it contains no recipients.");
        }

        var store = call.Services.GetRequiredService<MailStore>();
        var sentCopy = MimeConverter.ToBytes(message);
        message.Bcc.Clear();
        var delivered = MimeConverter.ToBytes(message);
        await using (var db = await call.Services.GetRequiredService<IDbContextFactory<SandboxDbContext>>().CreateDbContextAsync(call.Aborted))
        {
            foreach (var address in recipients)
            {
                if (await db.FindMailboxAsync(address, call.Aborted) is { } mailbox)
                {
                    await store.DeliverAsync(mailbox, delivered, "inbox", isRead: false, call.Aborted);
                }
            }
        }

        if (saveToSentItems)
        {
            await store.DeliverAsync(sender, sentCopy, "sentitems", isRead: true, call.Aborted);
        }
    }
}
