using MimeKit.Utils;

namespace HaloPortal.Engine.Ingestion;

/// <summary>
/// The one way a Message-ID becomes the exactly-once key of an inbound email, whichever path found it. A scan reads Graph's
/// <c>internetMessageId</c>, a webhook reads the Message-ID header of the MIME it fetched; for well-formed ids both are
/// <c>&lt;local@domain&gt;</c>, but for broken ones (<c>&lt;&lt;&lt;not an id&gt;&gt;&gt;</c>, two ids in one header, stray
/// spaces) Exchange keeps its own parse while the raw header keeps the damage. Both go through MimeKit's Message-ID parser
/// here, so the same message always gets the same key and a copy found by the other path is recognised as a duplicate.
/// </summary>
internal static class MessageIdKey
{
    /// <summary>The key for a Message-ID header value or Graph <c>internetMessageId</c>; null when there is none.</summary>
    public static string? Of(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        string? parsed;
        try
        {
            parsed = MimeUtils.ParseMessageId(value);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            parsed = null;
        }

        var key = (string.IsNullOrWhiteSpace(parsed) ? value : parsed).Trim().Trim('<', '>').Trim();
        return key.Length == 0 ? null : key;
    }
}
