using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace HaloPortal.Engine.Parsing;

/// <summary>
/// Inline-image references (<c>&lt;img src="cid:..."&gt;</c>), read and rewritten on the parsed document, never with
/// text edits of serialised HTML: an attribute that merely contains "src=cid:" (an alt, a title, a style) is text, not a
/// reference, and the rewritten document is serialised by the parser, which quotes every attribute value.
/// </summary>
internal static class HtmlCid
{
    private static readonly HtmlParser Parser = new();

    /// <summary>
    /// Replaces the source of every image whose <c>src</c> is "cid:xyz" (any case of "cid:") with the URL returned for
    /// "xyz" (the Content-ID without brackets, URL-decoded as RFC 2392 requires). A reference is left as it is when the
    /// callback returns null. Other elements and attributes are not touched.
    /// </summary>
    public static string Rewrite(string html, Func<string, string?> urlForContentId)
    {
        ArgumentNullException.ThrowIfNull(urlForContentId);
        if (string.IsNullOrEmpty(html))
        {
            return html ?? "";
        }

        using var document = Parse(html);
        var changed = false;
        foreach (var image in CidImages(document))
        {
            var contentId = ContentIdOf(image.Reference);
            if (contentId.Length > 0 && urlForContentId(contentId) is { } url)
            {
                image.Element.SetAttribute("src", url);
                changed = true;
            }
        }

        return changed ? document.Body!.InnerHtml : html;
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
        {
            id = id[1..^1];
        }

        return id;
    }

    /// <summary>Every Content-ID the HTML shows as an image (<c>img src="cid:..."</c>; case-insensitive set).</summary>
    internal static HashSet<string> ReferencedContentIds(string? html)
    {
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(html))
        {
            return ids;
        }

        using var document = Parse(html);
        foreach (var image in CidImages(document))
        {
            var id = ContentIdOf(image.Reference);
            if (id.Length > 0)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    private static IHtmlDocument Parse(string html) => Parser.ParseDocument("<!doctype html><html><body>" + html);

    private static IEnumerable<(IElement Element, string Reference)> CidImages(IHtmlDocument document) =>
        document.Body!.QuerySelectorAll("img[src]")
            .Select(e => (Element: e, Source: e.GetAttribute("src")!.Trim()))
            .Where(e => e.Source.StartsWith("cid:", StringComparison.OrdinalIgnoreCase))
            .Select(e => (e.Element, e.Source[4..]))
            .ToList();
}
