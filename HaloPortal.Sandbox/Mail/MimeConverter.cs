using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Graph;
using MimeKit;
using MimeKit.Utils;

namespace HaloPortal.Sandbox.Mail;

/// <summary>A parsed message, ready to be stored in a folder.</summary>
internal sealed record ParsedMessage(SbMessage Message, SbMessageContent Content, IReadOnlyList<SbAttachment> Attachments, IReadOnlyList<string> References);

/// <summary>Turns raw MIME into Graph message resources (as Exchange does on delivery), and Graph sendMail JSON into MIME.</summary>
internal static partial class MimeConverter
{
    public static MimeMessage Load(byte[] mime)
    {
        using var stream = new MemoryStream(mime, writable: false);
        return MimeMessage.Load(stream);
    }

    public static byte[] ToBytes(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(FormatOptions.Default, stream);
        return stream.ToArray();
    }

    /// <summary>Parses a message for a mailbox; a missing Message-ID is added (Exchange does the same).</summary>
    public static ParsedMessage Parse(byte[] mime, Guid mailboxId, string folderId, DateTimeOffset now, string domain)
    {
        var message = Load(mime);
        if (string.IsNullOrEmpty(message.MessageId))
        {
            message.MessageId = MimeUtils.GenerateMessageId(domain);
            mime = ToBytes(message);
        }

        var id = SandboxIds.MessageId();
        var html = message.HtmlBody;
        var text = message.TextBody ?? (html is null ? "" : HtmlToText(html));
        var attachments = new List<SbAttachment>();
        foreach (var entity in message.BodyParts)
        {
            if (IsBody(entity))
            {
                continue;
            }

            var (name, contentType, bytes) = entity switch
            {
                MessagePart part => ((part.Message?.Subject ?? "message") + ".eml", "message/rfc822", MessageBytes(part)),
                MimePart part => (part.FileName ?? part.ContentId ?? "attachment", part.ContentType.MimeType, PartBytes(part)),
                _ => ("attachment", "application/octet-stream", Array.Empty<byte>()),
            };
            var inline = entity.ContentDisposition?.Disposition == ContentDisposition.Inline && !string.IsNullOrEmpty(entity.ContentId)
                         || entity.ContentDisposition is null && !string.IsNullOrEmpty(entity.ContentId);
            attachments.Add(new SbAttachment
            {
                Id = SandboxIds.AttachmentId(),
                MessageId = id,
                Name = name,
                ContentType = contentType,
                IsInline = inline,
                ContentId = entity.ContentId,
                Content = bytes,
                LastModifiedAt = now,
            });
        }

        var from = message.From.Mailboxes.FirstOrDefault();
        var sender = message.Sender ?? from;
        var references = message.References.Concat(string.IsNullOrEmpty(message.InReplyTo) ? [] : [message.InReplyTo]).ToList();
        var sb = new SbMessage
        {
            Id = id,
            MailboxId = mailboxId,
            FolderId = folderId,
            InternetMessageId = "<" + message.MessageId + ">",
            ConversationId = SandboxIds.ConversationId(),
            Subject = message.Subject ?? "",
            From = Recipient(from),
            Sender = Recipient(sender),
            To = Recipients(message.To),
            Cc = Recipients(message.Cc),
            Bcc = Recipients(message.Bcc),
            ReplyTo = Recipients(message.ReplyTo),
            BodyPreview = Preview(text),
            Importance = message.Importance switch
            {
                MessageImportance.High => "high",
                MessageImportance.Low => "low",
                _ => "normal",
            },
            HasAttachments = attachments.Any(a => !a.IsInline),
            ReceivedAt = now,
            SentAt = message.Date == DateTimeOffset.MinValue ? now : message.Date.ToUniversalTime(),
            CreatedAt = now,
            LastModifiedAt = now,
        };
        var content = new SbMessageContent
        {
            MessageId = id,
            Mime = mime,
            BodyHtml = html,
            BodyText = text,
            Headers = message.Headers.Select(h => new SbHeader(h.Field, h.Value)).ToList(),
        };
        return new ParsedMessage(sb, content, attachments, references);
    }

    /// <summary>Builds the MIME of a Graph <c>message</c> resource sent by <c>sendMail</c> from a mailbox.</summary>
    public static MimeMessage FromGraph(JsonObject json, SbUser mailbox, DateTimeOffset now)
    {
        var message = new MimeMessage();
        var fromNode = json["from"]?["emailAddress"];
        message.From.Add(fromNode?["address"] is { } fromAddress
            ? new MailboxAddress(fromNode["name"]?.GetValue<string>(), fromAddress.GetValue<string>())
            : new MailboxAddress(mailbox.DisplayName, mailbox.UserPrincipalName));
        if (fromNode?["address"] is { } && !string.Equals(fromNode["address"]!.GetValue<string>(), mailbox.UserPrincipalName, StringComparison.OrdinalIgnoreCase))
        {
            message.Sender = new MailboxAddress(mailbox.DisplayName, mailbox.UserPrincipalName);
        }

        AddAddresses(message.To, json["toRecipients"]);
        AddAddresses(message.Cc, json["ccRecipients"]);
        AddAddresses(message.Bcc, json["bccRecipients"]);
        AddAddresses(message.ReplyTo, json["replyTo"]);
        message.Subject = json["subject"]?.GetValue<string>() ?? "";
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(mailbox.UserPrincipalName.Split('@').Last());
        message.Importance = (json["importance"]?.GetValue<string>() ?? "normal").ToLowerInvariant() switch
        {
            "high" => MessageImportance.High,
            "low" => MessageImportance.Low,
            _ => MessageImportance.Normal,
        };
        foreach (var header in json["internetMessageHeaders"]?.AsArray() ?? [])
        {
            var name = header?["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name) || !name.StartsWith("x-", StringComparison.OrdinalIgnoreCase))
            {
                throw new GraphRequestException(400, "InvalidInternetMessageHeader",
                    $"The internet message header name '{name}' should start with 'x-' or 'X-'.");
            }

            message.Headers.Add(name, header?["value"]?.GetValue<string>() ?? "");
        }

        var builder = new BodyBuilder();
        var body = json["body"];
        var content = body?["content"]?.GetValue<string>() ?? "";
        if (string.Equals(body?["contentType"]?.GetValue<string>(), "html", StringComparison.OrdinalIgnoreCase))
        {
            builder.HtmlBody = content;
        }
        else
        {
            builder.TextBody = content;
        }

        foreach (var attachment in json["attachments"]?.AsArray() ?? [])
        {
            if (attachment is null)
            {
                continue;
            }

            var bytes = Convert.FromBase64String(attachment["contentBytes"]?.GetValue<string>() ?? "");
            var name = attachment["name"]?.GetValue<string>() ?? "attachment";
            var type = ContentType.TryParse(attachment["contentType"]?.GetValue<string>() ?? "application/octet-stream", out var parsed) ? parsed : new ContentType("application", "octet-stream");
            var isInline = attachment["isInline"]?.GetValue<bool>() == true;
            var entity = isInline ? builder.LinkedResources.Add(name, bytes, type) : builder.Attachments.Add(name, bytes, type);
            if (attachment["contentId"]?.GetValue<string>() is { Length: > 0 } contentId)
            {
                entity.ContentId = contentId;
            }
        }

        message.Body = builder.ToMessageBody();
        return message;
    }

    public static string HtmlToText(string html)
    {
        var withoutHead = HeadOrScript().Replace(html, "");
        var breaks = BlockBreak().Replace(withoutHead, "\n");
        var text = WebUtility.HtmlDecode(Tag().Replace(breaks, ""));
        return MultiBlankLines().Replace(text.Replace("\r\n", "\n", StringComparison.Ordinal), "\n\n").Trim();
    }

    public static string TextToHtml(string text) =>
        "<html><head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n</head>\r\n<body>\r\n<div>" +
        WebUtility.HtmlEncode(text).Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "<br>\r\n", StringComparison.Ordinal) +
        "</div>\r\n</body>\r\n</html>\r\n";

    public static string Preview(string text)
    {
        var collapsed = Whitespace().Replace(text, " ").Trim();
        return collapsed.Length <= 255 ? collapsed : collapsed[..255];
    }

    private static bool IsBody(MimeEntity entity) =>
        entity is TextPart text && !text.IsAttachment && string.IsNullOrEmpty(text.FileName) && (text.IsHtml || text.IsPlain) && string.IsNullOrEmpty(text.ContentId);

    private static byte[] PartBytes(MimePart part)
    {
        using var stream = new MemoryStream();
        part.Content?.DecodeTo(stream);
        return stream.ToArray();
    }

    private static byte[] MessageBytes(MessagePart part)
    {
        using var stream = new MemoryStream();
        part.Message?.WriteTo(stream);
        return stream.ToArray();
    }

    private static SbRecipient? Recipient(MailboxAddress? address) =>
        address is null ? null : new SbRecipient(string.IsNullOrEmpty(address.Name) ? address.Address : address.Name, address.Address);

    private static List<SbRecipient> Recipients(InternetAddressList list) => list.Mailboxes.Select(m => Recipient(m)!).ToList();

    private static void AddAddresses(InternetAddressList list, JsonNode? recipients)
    {
        foreach (var recipient in recipients?.AsArray() ?? [])
        {
            var address = recipient?["emailAddress"]?["address"]?.GetValue<string>();
            if (string.IsNullOrWhiteSpace(address))
            {
                throw new GraphRequestException(400, "ErrorInvalidRecipients", "At least one recipient isn't valid., A message can't be sent because it contains no recipients.");
            }

            list.Add(new MailboxAddress(recipient?["emailAddress"]?["name"]?.GetValue<string>(), address));
        }
    }

    [GeneratedRegex(@"<(head|script|style)[^>]*>.*?</\1>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex HeadOrScript();

    [GeneratedRegex(@"<(br|/p|/div|/tr|/li|/h\d)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex BlockBreak();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"\n\s*\n\s*\n+")]
    private static partial Regex MultiBlankLines();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
