namespace HaloPortal.Engine.Parsing;

/// <summary>A mailbox address: <see cref="Address"/> is trimmed and lower-cased; <see cref="Name"/> is null when absent.</summary>
internal sealed record EmailAddress(string Address, string? Name);

/// <summary>
/// A file carried by an email: a normal attachment, an inline image (<see cref="IsInline"/> with the
/// <see cref="ContentId"/> the HTML refers to), a nested message (".eml", message/rfc822) or a file
/// unpacked from an Outlook winmail.dat.
/// </summary>
internal sealed record ParsedAttachment(string FileName, string ContentType, string? ContentId, bool IsInline, byte[] Content);

/// <summary>
/// What the ingestion pipeline needs to know about one email. Produced by <see cref="IEmailParser"/>;
/// never null-filled by an exception — what could not be read is left empty and named in <see cref="ParseWarnings"/>.
/// </summary>
/// <param name="MessageId">The Message-ID without angle brackets.</param>
/// <param name="InReplyTo">The first In-Reply-To id without angle brackets.</param>
/// <param name="References">The References ids without angle brackets, oldest first.</param>
/// <param name="ReturnPath">The Return-Path address without angle brackets: "" for "&lt;&gt;", null when the header is absent.</param>
/// <param name="Subject">The decoded subject, "" when absent.</param>
/// <param name="TextBody">The full text/plain body (decoded from its charset).</param>
/// <param name="HtmlBody">The full HTML body, sanitised.</param>
/// <param name="NewContentHtml">Sanitised HTML of only the new content (quoted history trimmed); the whole body when nothing was trimmed; the text body HTML-encoded when the email has no HTML.</param>
/// <param name="NewContentText">Text of only the new content (quoted history trimmed); the whole text body when nothing was trimmed; derived from the HTML when the email has no text body.</param>
/// <param name="Attachments">Attachments, inline images, nested messages and unpacked winmail.dat contents.</param>
/// <param name="Headers">Every header by case-insensitive name; repeated headers joined with ", ".</param>
/// <param name="IsDeliveryStatusReport">True for a multipart/report with report-type delivery-status or any message/delivery-status part.</param>
/// <param name="BouncedMessageId">For a delivery status report: the Message-ID of the message that bounced, without brackets.</param>
/// <param name="SizeBytes">The size of the raw MIME in bytes.</param>
internal sealed record ParsedEmail(
    string? MessageId,
    string? InReplyTo,
    IReadOnlyList<string> References,
    EmailAddress? From,
    IReadOnlyList<EmailAddress> To,
    IReadOnlyList<EmailAddress> Cc,
    EmailAddress? ReplyTo,
    string? ReturnPath,
    string Subject,
    DateTimeOffset? Date,
    string? TextBody,
    string? HtmlBody,
    string? NewContentHtml,
    string? NewContentText,
    IReadOnlyList<ParsedAttachment> Attachments,
    IReadOnlyDictionary<string, string> Headers,
    bool IsDeliveryStatusReport,
    string? BouncedMessageId,
    long SizeBytes)
{
    /// <summary>Plain-English notes on anything that could not be read (broken TNEF, undecodable part...), for the processing log. Empty for a clean email.</summary>
    public IReadOnlyList<string> ParseWarnings { get; init; } = [];

    /// <summary>The Content-Type of the top-level body (e.g. "multipart/report; report-type=delivery-status"), "" when unknown.</summary>
    public string ContentType { get; init; } = "";

    /// <summary>"S/MIME", "PGP/MIME" or "PGP" when the body is encrypted and cannot be read here; null for a readable email.</summary>
    public string? Encryption { get; init; }
}

/// <summary>Turns raw MIME into a <see cref="ParsedEmail"/>. Never throws for malformed input.</summary>
internal interface IEmailParser
{
    /// <summary>Reads the whole stream (from its current position) and parses it.</summary>
    ParsedEmail Parse(Stream mime);
}
