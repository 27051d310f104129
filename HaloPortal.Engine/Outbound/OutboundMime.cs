using HaloPortal.Engine.Parsing;
using HaloPortal.Engine.Tickets;
using MimeKit;

namespace HaloPortal.Engine.Outbound;

/// <summary>Builds the MIME of an outbound message: threading headers, the portal Message-ID and deployment header, HTML + text, attachments.</summary>
internal static class OutboundMime
{
    /// <summary>
    /// The most attachment bytes sent in one sendMail request: Graph takes at most 4 MB per request and the MIME is base64 inside
    /// base64 (about 1.8 times the files), so more goes out as a draft with upload sessions instead.
    /// </summary>
    public const long SendMailAttachmentBytes = 2 * 1024 * 1024;

    /// <summary>Whether these attachments are too large for one sendMail request.</summary>
    public static bool NeedsUploads(IReadOnlyList<TicketAttachment> attachments) =>
        attachments.Where(a => !a.IsInline).Sum(a => (long)a.Content.Length) > SendMailAttachmentBytes;

    /// <summary>A new portal Message-ID without angle brackets (the form stored on ticket messages and matched by threading).</summary>
    public static string NewMessageId(string deploymentId) => PortalMessageId.Create(deploymentId).Trim('<', '>');

    public static MimeMessage Build(OutboundMessage message, string fromAddress, string? fromName, IReadOnlyList<TicketAttachment> attachments, string deploymentId, DateTimeOffset now)
    {
        var mime = new MimeMessage();
        mime.From.Add(new MailboxAddress(fromName ?? "", fromAddress));
        mime.To.Add(new MailboxAddress(message.ToName ?? "", message.To));
        mime.Subject = message.Subject;
        mime.Date = now;
        mime.MessageId = message.InternetMessageId;
        if (!string.IsNullOrEmpty(message.InReplyTo))
        {
            mime.InReplyTo = message.InReplyTo;
        }

        foreach (var reference in (message.References ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            mime.References.Add(reference.Trim('<', '>'));
        }

        mime.Headers.Add(MailClassifier.DeploymentHeader, deploymentId);
        if (AutoSubmitted(message.Kind) is { } autoSubmitted)
        {
            // RFC 3834 §5: an automatic response to a message is "auto-replied", other machine-made mail "auto-generated"; and
            // ask Exchange not to answer it with out-of-office replies. A reply an agent typed is neither.
            mime.Headers.Add("Auto-Submitted", autoSubmitted);
            mime.Headers.Add("X-Auto-Response-Suppress", "All");
        }

        var body = new BodyBuilder
        {
            HtmlBody = message.BodyHtml,
            TextBody = BodyText.HtmlToText(message.BodyHtml),
        };
        foreach (var attachment in attachments.Where(a => !a.IsInline))
        {
            body.Attachments.Add(attachment.Name, attachment.Content, ContentType.TryParse(attachment.ContentType, out var type) ? type : new ContentType("application", "octet-stream"));
        }

        mime.Body = body.ToMessageBody();
        return mime;
    }

    /// <summary>The RFC 3834 <c>Auto-Submitted</c> value of a kind of outbound mail; null for mail a person wrote.</summary>
    public static string? AutoSubmitted(OutboundKind kind) => kind switch
    {
        OutboundKind.Reply => null,
        OutboundKind.Acknowledgement => "auto-replied",
        _ => "auto-generated",
    };

    public static byte[] ToBytes(MimeMessage message)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(FormatOptions.Default, buffer);
        return buffer.ToArray();
    }
}
