using System.Net;
using System.Text.RegularExpressions;

namespace HaloPortal.Engine.Ingestion.Parsing;

/// <summary>Rewrites inline-image references (src="cid:...") to URLs the portal serves.</summary>
public static partial class HtmlCid
{
    /// <summary>
    /// Replaces every src="cid:xyz" (any quoting, any case of "cid:") with the URL returned for "xyz"
    /// (the Content-ID without brackets, URL-decoded as RFC 2392 requires). A reference is left as it is when
    /// the callback returns null.
    /// </summary>
    public static string Rewrite(string html, Func<string, string?> urlForContentId)
    {
        ArgumentNullException.ThrowIfNull(urlForContentId);
        if (string.IsNullOrEmpty(html))
            return html ?? "";
        return CidSource().Replace(html, match =>
        {
            var raw = WebUtility.HtmlDecode(match.Groups["id"].Value);
            var contentId = ContentIdOf(raw);
            var url = contentId.Length == 0 ? null : urlForContentId(contentId);
            if (url is null)
                return match.Value;
            return match.Groups["attr"].Value + "\"" + WebUtility.HtmlEncode(url) + "\"";
        });
    }

    /// <summary>The Content-ID a "cid:" reference (without the scheme) points at.</summary>
    internal static string ContentIdOf(string reference)
    {
        string id;
        try
        {
            id = Uri.UnescapeDataString(reference);
        }
        catch (UriFormatException)
        {
            id = reference;
        }
        id = id.Trim();
        if (id.StartsWith('<') && id.EndsWith('>'))
            id = id[1..^1];
        return id;
    }

    /// <summary>Every Content-ID the HTML refers to with "cid:" (case-insensitive set).</summary>
    internal static HashSet<string> ReferencedContentIds(string? html)
    {
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(html))
            return ids;
        foreach (Match match in AnyCid().Matches(html))
            ids.Add(ContentIdOf(WebUtility.HtmlDecode(match.Groups["id"].Value)));
        return ids;
    }

    [GeneratedRegex("""(?<attr>\bsrc\s*=\s*)(?:"\s*cid:(?<id>[^"]*)"|'\s*cid:(?<id>[^']*)'|cid:(?<id>[^\s"'>]+))""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CidSource();

    [GeneratedRegex("""cid:(?<id>[^\s"'>)]+)""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AnyCid();
}
