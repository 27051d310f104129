using System.Text;

namespace HaloPortal.Tests.Security;

/// <summary>Raw messages carrying HTML payloads, as an attacker would send them.</summary>
internal static class AttackMail
{
    /// <summary>The reported stored XSS: "src=cid:foo" inside an alt attribute, with an image part whose Content-ID is &lt;foo&gt;.</summary>
    public const string AltBreakout = "<img src=x alt='src=cid:foo onerror=alert(document.domain) '>";

    /// <summary>A 1x1 transparent PNG.</summary>
    public const string PngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

    /// <summary>multipart/related: the HTML part (in the given transfer encoding) plus an inline PNG with Content-ID &lt;foo&gt;.</summary>
    public static string WithInlineImage(string html, string subject = "Invoice", string from = "mallory@evil.example", string to = "support@contoso.sandbox",
        string transferEncoding = "8bit", string? messageId = null)
    {
        var body = transferEncoding switch
        {
            "base64" => Convert.ToBase64String(Encoding.UTF8.GetBytes(html), Base64FormattingOptions.InsertLineBreaks),
            "quoted-printable" => QuotedPrintable(html),
            _ => html,
        };
        return $"From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Sat, 05 Dec 2026 12:00:00 +0000\r\n" +
               $"Message-ID: <{messageId ?? Guid.NewGuid().ToString("N") + "@evil.example"}>\r\nMIME-Version: 1.0\r\n" +
               "Content-Type: multipart/related; boundary=\"rel-boundary\"\r\n\r\n" +
               "--rel-boundary\r\n" +
               $"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: {transferEncoding}\r\n\r\n{body}\r\n" +
               "--rel-boundary\r\n" +
               "Content-Type: image/png; name=\"logo.png\"\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <foo>\r\nContent-Disposition: inline; filename=\"logo.png\"\r\n\r\n" +
               PngBase64 + "\r\n" +
               "--rel-boundary--\r\n";
    }

    /// <summary>Quoted-printable that encodes every '=', '&lt;', '&gt;' and quote, the way a mail client hiding a payload would.</summary>
    public static string QuotedPrintable(string text)
    {
        var builder = new StringBuilder();
        var line = 0;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            var piece = b is (byte)'=' or (byte)'<' or (byte)'>' or (byte)'"' or (byte)'\'' or > 126 or < 32 ? $"={b:X2}" : ((char)b).ToString();
            if (line + piece.Length > 72)
            {
                builder.Append("=\r\n");
                line = 0;
            }

            builder.Append(piece);
            line += piece.Length;
        }

        return builder.ToString();
    }

    /// <summary>An RFC 2047 encoded-word (UTF-8, base64) for a header.</summary>
    public static string EncodedWord(string text) => $"=?utf-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes(text))}?=";
}
