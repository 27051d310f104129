using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace HaloPortal.Engine.Parsing;

/// <summary>
/// Finds where the quoted history of a reply or forward starts and cuts it off, for HTML and for plain text.
/// Recognises Outlook (divRplyFwdMsg, a rule followed by a From:/Sent: block, "-----Original Message-----"),
/// Gmail (gmail_quote), Apple Mail and Thunderbird (blockquote type=cite, moz-cite-prefix), "On … wrote:"
/// attributions and "&gt;" quoting, in English, German and a few other languages. Returns null when there is
/// nothing to cut or the cut would leave nothing.
/// </summary>
internal static partial class QuoteTrimmer
{
    private const string FromLabels = @"From|Von|De|Van|Da|Från|Fra|Od|Lähettäjä|Remitente";
    private const string SentLabels = @"Sent|Gesendet|Date|Datum|Envoyé|Verzonden|Inviato|Data|Skickat|Sendt|Enviado|Fecha|Wysłano|Lähetetty";

    /// <summary>The HTML body with the quoted history removed (an HTML fragment, not yet sanitised), or null.</summary>
    public static string? TrimHtml(string html)
    {
        if (string.IsNullOrWhiteSpace(html))
            return null;
        var document = new HtmlParser().ParseDocument(html);
        if (document.Body is not { } body)
            return null;
        var cut = FindHtmlCut(body);
        if (cut is null)
            return null;
        RemoveFromHere(cut, body);
        return HasVisibleContent(body) ? body.InnerHtml : null;
    }

    /// <summary>The text body with the quoted history removed, or null.</summary>
    public static string? TrimText(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var cut = FindTextCut(lines);
        if (cut is null)
            return null;
        var kept = string.Join("\n", lines[..cut.Value]).TrimEnd();
        return string.IsNullOrWhiteSpace(kept) ? null : kept;
    }

    private static INode? FindHtmlCut(IHtmlElement body)
    {
        foreach (var node in body.GetDescendants())
        {
            if (node is IElement element)
            {
                if (CutForElement(element) is { } cut)
                    return cut;
            }
            else if (node is IText text && OriginalMessageLine().IsMatch(text.Data))
            {
                return text.ParentElement is { } parent && parent != body && parent.TextContent.Trim().Length <= text.Data.Trim().Length + 2
                    ? parent
                    : text;
            }
        }
        return null;
    }

    private static INode? CutForElement(IElement element)
    {
        var name = element.LocalName;
        var id = element.Id ?? "";
        if (id.Equals("divRplyFwdMsg", StringComparison.OrdinalIgnoreCase))
            return element.PreviousElementSibling is { LocalName: "hr" } rule ? rule : element;
        if (element.ClassList.Contains("gmail_quote") || element.ClassList.Contains("gmail_quote_container")
            || element.ClassList.Contains("moz-cite-prefix") || element.ClassList.Contains("yahoo_quoted")
            || element.ClassList.Contains("OutlookMessageHeader"))
        {
            return element;
        }
        if (name == "blockquote")
        {
            if (element.PreviousElementSibling is { } before && Attribution().IsMatch(Collapse(before.TextContent)))
                return before;
            if (string.Equals(element.GetAttribute("type"), "cite", StringComparison.OrdinalIgnoreCase))
                return element;
            return null;
        }
        if (name == "hr")
            return HeaderBlock().IsMatch(FollowingText(element, 400)) ? element : null;
        if (name is "div" or "p" && StartsWithFromLabel(element))
        {
            var text = Collapse(element.TextContent);
            if (HeaderBlock().IsMatch(text))
                return element;
        }
        return null;
    }

    /// <summary>Cheap pre-check so that only elements whose first text is a "From:" label get their full text read.</summary>
    private static bool StartsWithFromLabel(IElement element)
    {
        foreach (var node in element.GetDescendants())
        {
            if (node is IText text && !string.IsNullOrWhiteSpace(text.Data.Replace('\u00A0', ' ')))
                return FromLabel().IsMatch(text.Data.Replace('\u00A0', ' '));
        }
        return false;
    }

    private static string FollowingText(INode start, int max)
    {
        var builder = new StringBuilder();
        for (var node = start.NextSibling; node is not null && builder.Length < max; node = node.NextSibling)
            builder.Append(node.TextContent).Append(' ');
        return Collapse(builder.ToString());
    }

    /// <summary>Removes <paramref name="cut"/> and everything after it in document order.</summary>
    private static void RemoveFromHere(INode cut, INode root)
    {
        var current = cut;
        while (current is not null && current != root)
        {
            while (current.NextSibling is { } next)
                next.Parent!.RemoveChild(next);
            var parent = current.Parent;
            if (current == cut)
                parent?.RemoveChild(current);
            current = parent;
        }
    }

    private static bool HasVisibleContent(IElement body) =>
        !string.IsNullOrWhiteSpace(body.TextContent.Replace('\u00A0', ' ')) || body.QuerySelector("img") is not null;

    private static int? FindTextCut(string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (OriginalMessageLine().IsMatch(line))
                return i;
            if (Underscores().IsMatch(line) && NextNonEmpty(lines, i) is { } next && IsTextHeaderBlock(lines, next))
                return i;
            if (IsTextHeaderBlock(lines, i))
                return i;
            if (AttributionStart().IsMatch(line))
            {
                if (Attribution().IsMatch(Collapse(line)))
                    return i;
                if (i + 1 < lines.Length && Attribution().IsMatch(Collapse(line + " " + lines[i + 1])))
                    return i;
            }
        }

        // A trailing block of "> " lines with no attribution before it.
        int? quoteStart = null;
        for (var i = lines.Length - 1; i >= 0; i--)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
                continue;
            if (!line.StartsWith('>'))
                break;
            quoteStart = i;
        }
        return quoteStart;
    }

    private static int? NextNonEmpty(string[] lines, int index)
    {
        for (var i = index + 1; i < lines.Length && i <= index + 3; i++)
        {
            if (!string.IsNullOrWhiteSpace(lines[i]))
                return i;
        }
        return null;
    }

    private static bool IsTextHeaderBlock(string[] lines, int index)
    {
        if (!FromLine().IsMatch(lines[index]))
            return false;
        for (var i = index + 1; i < lines.Length && i <= index + 4; i++)
        {
            if (SentLine().IsMatch(lines[i]))
                return true;
        }
        return false;
    }

    private static string Collapse(string text) => WhiteSpace().Replace(text.Replace('\u00A0', ' '), " ").Trim();

    [GeneratedRegex(@"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Originalnachricht|Message d'origine|Oorspronkelijk bericht|Messaggio originale|Mensaje original|Originalmeddelande|Alkuperäinen viesti|Forwarded message|Weitergeleitete Nachricht)\s*-{2,}\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex OriginalMessageLine();

    [GeneratedRegex(@"^\s*_{10,}\s*$")]
    private static partial Regex Underscores();

    [GeneratedRegex(@"^\s*\*?(?:" + FromLabels + @")\s?:\*?\s*\S", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"^\s*\*?(?:" + SentLabels + @")\s?:", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SentLine();

    [GeneratedRegex(@"^\s*(?:" + FromLabels + @")\s?:", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex FromLabel();

    /// <summary>"From: x Sent: y" (or Date:, Von:/Gesendet: ...) at the start of collapsed text.</summary>
    [GeneratedRegex(@"^(?:" + FromLabels + @")\s?:.{1,300}?\b(?:" + SentLabels + @")\s?:", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex HeaderBlock();

    [GeneratedRegex(@"^\s*(?:On|Am|Le|Op|El|Il|Den|På)\s", RegexOptions.CultureInvariant)]
    private static partial Regex AttributionStart();

    /// <summary>"On … wrote:", "Am … schrieb …:", "Le … a écrit :", "Op … schreef …:", "El … escribió:", "Il … ha scritto:".</summary>
    [GeneratedRegex(@"^(?:On\s.{1,250}\swrote|Am\s.{1,250}\sschrieb.{0,200}|Le\s.{1,250}\sa\sécrit|Op\s.{1,250}\sschreef.{0,200}|El\s.{1,250}\sescribió|Il\s.{1,250}\sha\sscritto|Den\s.{1,250}\sskrev.{0,200})\s?:$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex Attribution();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
