using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using MimeKit.Tnef;

namespace HaloPortal.Engine.Parsing;

/// <summary>
/// Parses raw MIME with MimeKit into a <see cref="ParsedEmail"/>. Database-free and stateless; safe to share.
/// Malformed input never throws: whatever could be read is returned and the problems are listed in
/// <see cref="ParsedEmail.ParseWarnings"/>.
/// </summary>
internal sealed partial class EmailParser : IEmailParser
{
    public ParsedEmail Parse(Stream mime)
    {
        ArgumentNullException.ThrowIfNull(mime);
        var source = mime;
        if (!mime.CanSeek)
        {
            var buffer = new MemoryStream();
            mime.CopyTo(buffer);
            buffer.Position = 0;
            source = buffer;
        }
        var size = Math.Max(0, source.Length - source.Position);

        var warnings = new List<string>();
        MimeMessage message;
        try
        {
            message = MimeMessage.Load(source);
        }
        // A failing stream (IOException) is the caller's problem and may be retried; anything about the content is not.
        catch (Exception ex) when (ex is not (IOException or OutOfMemoryException))
        {
            warnings.Add($"The message could not be parsed as MIME: {ex.Message}");
            return Empty(size) with { ParseWarnings = warnings };
        }

        var walk = new Walk(warnings);
        if (message.Body is { } body)
            walk.Visit(body, insideReport: false);

        var text = walk.Text?.ToString();
        var html = walk.Html?.ToString();
        if (string.IsNullOrWhiteSpace(text) && !string.IsNullOrWhiteSpace(html))
            text = null; // an empty text/plain alternative: the words are in the HTML

        if (text is null && html is null)
        {
            text = walk.TnefText;
            html = walk.TnefHtml;
        }
        if (text is null && html is null && message.Body is Multipart { Count: 0, Preamble: { } preamble } && !string.IsNullOrWhiteSpace(preamble))
        {
            // The declared boundary never occurs: MimeKit keeps everything as the preamble. Show that raw text rather than nothing.
            warnings.Add("The multipart boundary declared in Content-Type was not found; the raw text of the message is used as its body.");
            text = preamble;
        }

        var referenced = HtmlCid.ReferencedContentIds(html);
        var attachments = walk.Attachments
            .Select(a => a.ContentId is { } cid && referenced.Contains(cid) ? a with { IsInline = true } : a with { IsInline = false })
            .ToList();

        string? htmlBody = null, newHtml = null, newText = null;
        if (html is not null)
        {
            htmlBody = Safely(() => EmailHtmlSanitizer.Sanitize(html), "The HTML body could not be sanitised", warnings) ?? "";
            var trimmed = Safely(() => QuoteTrimmer.TrimHtml(html), "The quoted history could not be located in the HTML body", warnings);
            if (trimmed is not null)
            {
                var sanitisedTrimmed = Safely(() => EmailHtmlSanitizer.Sanitize(trimmed), "The new content could not be sanitised", warnings);
                if (sanitisedTrimmed is not null && HasContent(sanitisedTrimmed))
                    newHtml = sanitisedTrimmed;
            }
            newHtml ??= htmlBody;
        }
        if (text is not null)
            newText = Safely(() => QuoteTrimmer.TrimText(text), "The quoted history could not be located in the text body", warnings) ?? text;
        if (newHtml is null && newText is not null)
            newHtml = BodyText.TextToHtml(newText);
        if (newText is null && newHtml is not null)
            newText = Safely(() => BodyText.HtmlToText(newHtml), "The HTML body could not be converted to text", warnings);

        return new ParsedEmail(
            MessageId: MessageIdOf(message, HeaderId.MessageId, message.MessageId),
            InReplyTo: MessageIdOf(message, HeaderId.InReplyTo, message.InReplyTo),
            References: message.References.Where(r => !string.IsNullOrWhiteSpace(r)).ToList(),
            From: Addresses(message.From).FirstOrDefault(),
            To: Addresses(message.To),
            Cc: Addresses(message.Cc),
            ReplyTo: Addresses(message.ReplyTo).FirstOrDefault(),
            ReturnPath: ReturnPathOf(message),
            Subject: message.Subject ?? "",
            Date: message.Headers.Contains(HeaderId.Date) && message.Date != DateTimeOffset.MinValue ? message.Date : null,
            TextBody: text,
            HtmlBody: htmlBody,
            NewContentHtml: newHtml,
            NewContentText: newText,
            Attachments: attachments,
            Headers: HeadersOf(message),
            IsDeliveryStatusReport: walk.IsDeliveryStatusReport,
            BouncedMessageId: walk.IsDeliveryStatusReport ? walk.BouncedMessageId : null,
            SizeBytes: size)
        {
            ParseWarnings = warnings,
            ContentType = message.Body is { } b ? ContentTypeOf(b) : "",
            Encryption = EncryptionOf(message.Body),
        };
    }

    /// <summary>"S/MIME" or "PGP/MIME" when the body is encrypted (unreadable without the recipient's private key); null otherwise.</summary>
    private static string? EncryptionOf(MimeEntity? body)
    {
        var type = body?.ContentType;
        if (type is null)
            return null;
        if (type.IsMimeType("multipart", "encrypted"))
            return "PGP/MIME";
        if (type.IsMimeType("application", "pkcs7-mime") || type.IsMimeType("application", "x-pkcs7-mime"))
        {
            var smimeType = type.Parameters["smime-type"];
            return smimeType is not null && (smimeType.Equals("signed-data", StringComparison.OrdinalIgnoreCase) || smimeType.Equals("certs-only", StringComparison.OrdinalIgnoreCase))
                ? null
                : "S/MIME";
        }

        if (type.IsMimeType("application", "pgp-encrypted"))
            return "PGP";
        return null;
    }

    private static ParsedEmail Empty(long size) => new(
        null, null, [], null, [], [], null, null, "", null, null, null, null, null, [],
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), false, null, size);

    private static string? Safely(Func<string?> action, string problem, List<string> warnings)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            warnings.Add($"{problem}: {ex.Message}");
            return null;
        }
    }

    private static bool HasContent(string html) =>
        html.Contains("<img", StringComparison.OrdinalIgnoreCase) || !string.IsNullOrWhiteSpace(BodyText.HtmlToText(html));

    private static string ContentTypeOf(MimeEntity entity)
    {
        var type = entity.ContentType.MimeType;
        return entity is MultipartReport { ReportType: { Length: > 0 } reportType } ? $"{type}; report-type={reportType}" : type;
    }

    private static List<EmailAddress> Addresses(InternetAddressList list) =>
        list.Mailboxes
            .Where(m => !string.IsNullOrWhiteSpace(m.Address))
            .Select(m => new EmailAddress(m.Address.Trim().ToLowerInvariant(), string.IsNullOrWhiteSpace(m.Name) ? null : m.Name.Trim()))
            .ToList();

    /// <summary>MimeKit's parsed id, or the raw header without brackets when MimeKit could not parse it.</summary>
    private static string? MessageIdOf(MimeMessage message, HeaderId header, string? parsed)
    {
        if (!string.IsNullOrWhiteSpace(parsed))
            return parsed.Trim();
        var raw = message.Headers[header];
        if (string.IsNullOrWhiteSpace(raw))
            return null;
        var token = raw.Trim().Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        token = token.Trim('<', '>');
        return token.Length == 0 ? null : token;
    }

    private static string? ReturnPathOf(MimeMessage message)
    {
        var raw = message.Headers[HeaderId.ReturnPath];
        if (raw is null)
            return null;
        var value = raw.Trim();
        if (value.StartsWith('<'))
        {
            var end = value.IndexOf('>', StringComparison.Ordinal);
            value = end < 0 ? value[1..] : value[1..end];
        }
        return value.Trim();
    }

    private static Dictionary<string, string> HeadersOf(MimeMessage message)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in message.Headers)
        {
            var value = (header.Value ?? "").Trim();
            headers[header.Field] = headers.TryGetValue(header.Field, out var existing) ? existing + ", " + value : value;
        }
        return headers;
    }

    /// <summary>One pass over the MIME tree collecting bodies, attachments and delivery-report facts.</summary>
    private sealed partial class Walk(List<string> warnings)
    {
        public StringBuilder? Text { get; private set; }
        public StringBuilder? Html { get; private set; }
        public string? TnefText { get; private set; }
        public string? TnefHtml { get; private set; }
        public List<ParsedAttachment> Attachments { get; } = [];
        public bool IsDeliveryStatusReport { get; private set; }
        public string? BouncedMessageId { get; private set; }

        public void Visit(MimeEntity entity, bool insideReport)
        {
            try
            {
                VisitCore(entity, insideReport);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                warnings.Add($"A {entity.ContentType?.MimeType ?? "MIME"} part could not be read: {ex.Message}");
            }
        }

        private void VisitCore(MimeEntity entity, bool insideReport)
        {
            switch (entity)
            {
                case MultipartReport report:
                    if (string.Equals(report.ReportType, "delivery-status", StringComparison.OrdinalIgnoreCase))
                        IsDeliveryStatusReport = true;
                    foreach (var child in report)
                        Visit(child, insideReport: true);
                    break;
                case Multipart multipart:
                    foreach (var child in multipart)
                        Visit(child, insideReport);
                    break;
                case MessageDeliveryStatus status:
                    IsDeliveryStatusReport = true;
                    AddPart(status, "delivery-status.txt");
                    break;
                case TextRfc822Headers returnedHeaders:
                    if (insideReport && returnedHeaders.Message?.MessageId is { Length: > 0 } headersId)
                        BouncedMessageId ??= headersId;
                    AddPart(returnedHeaders, "original-headers.txt");
                    break;
                case MessagePart nested:
                    if (insideReport && nested.Message?.MessageId is { Length: > 0 } nestedId)
                        BouncedMessageId ??= nestedId;
                    AddMessage(nested);
                    break;
                case TnefPart tnef:
                    Unpack(tnef);
                    break;
                case TextPart textPart when IsBody(textPart):
                    AppendBody(textPart);
                    break;
                case MimePart part:
                    if (part.ContentType.MimeType.Equals("message/global-delivery-status", StringComparison.OrdinalIgnoreCase))
                        IsDeliveryStatusReport = true;
                    if (insideReport && (part.ContentType.IsMimeType("text", "rfc822-headers") || part.ContentType.IsMimeType("message", "rfc822-headers")))
                        BouncedMessageId ??= MessageIdLine().Match(DecodedText(part)) is { Success: true } m ? m.Groups["id"].Value : null;
                    AddPart(part, null);
                    break;
            }
        }

        private static string DecodedText(MimePart part)
        {
            if (part is TextPart text)
                return text.Text ?? "";
            using var buffer = new MemoryStream();
            part.Content?.DecodeTo(buffer);
            return Encoding.Latin1.GetString(buffer.ToArray());
        }

        private static bool IsBody(TextPart part) =>
            (part.IsPlain || part.IsHtml) && !part.IsAttachment && string.IsNullOrEmpty(part.FileName);

        private void AppendBody(TextPart part)
        {
            var content = part.Text ?? "";
            if (part.IsHtml)
                Html = Html is null ? new StringBuilder(content) : Html.Append('\n').Append(content);
            else
                Text = Text is null ? new StringBuilder(content) : Text.Append('\n').Append(content);
        }

        private void Unpack(TnefPart tnef)
        {
            MimeMessage unpacked;
            try
            {
                if (!HasTnefSignature(tnef))
                    throw new FormatException("it does not start with the TNEF signature");
                unpacked = tnef.ConvertToMessage();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                KeepWinmailDat(tnef, ex.Message);
                return;
            }
            var parts = unpacked.BodyParts.Where(p => p is not TextPart text || !IsBody(text)).ToList();
            if (parts.Count == 0 && unpacked.TextBody is null && unpacked.HtmlBody is null)
            {
                KeepWinmailDat(tnef, "it contains neither a body nor attachments");
                return;
            }
            TnefText ??= unpacked.TextBody;
            TnefHtml ??= unpacked.HtmlBody;
            foreach (var part in parts)
            {
                switch (part)
                {
                    case MessagePart message:
                        AddMessage(message);
                        break;
                    case MimePart mimePart:
                        AddPart(mimePart, null);
                        break;
                }
            }
        }

        private void KeepWinmailDat(TnefPart tnef, string problem)
        {
            warnings.Add($"The winmail.dat (TNEF) attachment could not be unpacked ({problem}); it is kept as it is.");
            AddPart(tnef, "winmail.dat");
        }

        private static bool HasTnefSignature(TnefPart tnef)
        {
            if (tnef.Content is null)
                return false;
            using var content = new MemoryStream();
            tnef.Content.DecodeTo(content);
            var bytes = content.GetBuffer();
            return content.Length >= 4 && BitConverter.ToUInt32(bytes, 0) == 0x223E9F78;
        }

        private void AddMessage(MessagePart part)
        {
            using var content = new MemoryStream();
            part.Message?.WriteTo(content);
            var name = SafeFileName(part.ContentDisposition?.FileName ?? part.ContentType.Name);
            if (name is null)
            {
                var subject = SafeFileName(part.Message?.Subject);
                name = subject is null ? $"message{Attachments.Count + 1}" : subject;
            }
            if (!name.EndsWith(".eml", StringComparison.OrdinalIgnoreCase))
                name += ".eml";
            Attachments.Add(new ParsedAttachment(name, "message/rfc822", ContentIdOf(part), false, content.ToArray()));
        }

        private void AddPart(MimeEntity entity, string? defaultName)
        {
            using var content = new MemoryStream();
            switch (entity)
            {
                case MimePart { Content: { } data }:
                    data.DecodeTo(content);
                    break;
                case MessagePart { Message: { } inner }:
                    inner.Headers.WriteTo(content);
                    break;
            }
            var mimeType = entity.ContentType.MimeType.ToLowerInvariant();
            var name = SafeFileName((entity as MimePart)?.FileName ?? entity.ContentDisposition?.FileName ?? entity.ContentType.Name)
                ?? defaultName
                ?? GeneratedName(mimeType);
            Attachments.Add(new ParsedAttachment(name, mimeType, ContentIdOf(entity), false, content.ToArray()));
        }

        private string GeneratedName(string mimeType)
        {
            var stem = mimeType.StartsWith("image/", StringComparison.Ordinal) ? "image" : "attachment";
            var extension = MimeTypes.TryGetExtension(mimeType, out var ext) ? ext : mimeType.StartsWith("text/", StringComparison.Ordinal) ? ".txt" : ".bin";
            return $"{stem}{Attachments.Count + 1}{extension}";
        }

        private static string? ContentIdOf(MimeEntity entity) =>
            string.IsNullOrWhiteSpace(entity.ContentId) ? null : entity.ContentId.Trim().Trim('<', '>');

        [GeneratedRegex(@"^Message-ID:\s*<?(?<id>[^<>\s]+)>?", RegexOptions.IgnoreCase | RegexOptions.Multiline | RegexOptions.CultureInvariant)]
        private static partial Regex MessageIdLine();
    }

    /// <summary>The last path segment without control or path characters; null when nothing usable is left.</summary>
    internal static string? SafeFileName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            return null;
        var last = name.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        var cleaned = new string(last.Where(c => !char.IsControl(c) && c is not ('<' or '>' or ':' or '"' or '|' or '?' or '*')).ToArray()).Trim().Trim('.');
        if (cleaned.Length > 200)
            cleaned = cleaned[..200];
        return cleaned.Length == 0 ? null : cleaned;
    }
}
