using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace HaloPortal.Engine.Parsing;

/// <summary>Conversions between plain text and HTML bodies.</summary>
internal static class BodyText
{
    private static readonly HashSet<string> BlockElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "div", "table", "tr", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "section", "article", "header", "footer",
    };

    /// <summary>Plain text HTML-encoded, one &lt;br&gt; per line break.</summary>
    public static string TextToHtml(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        return string.Join("<br>\n", lines.Select(Encode));
    }

    /// <summary>Escapes only what HTML needs escaped, leaving non-ASCII text readable (WebUtility would turn "ü" into "&amp;#252;").</summary>
    private static string Encode(string line)
    {
        var builder = new StringBuilder(line.Length);
        foreach (var c in line)
        {
            builder.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }
        return builder.ToString();
    }

    /// <summary>The readable text of an HTML fragment: block elements and &lt;br&gt; become line breaks.</summary>
    public static string HtmlToText(string html)
    {
        var document = new HtmlParser().ParseDocument(html);
        var builder = new StringBuilder();
        if (document.Body is { } body)
            Append(body, builder);
        var lines = builder.ToString().Split('\n').Select(l => l.Trim());
        var result = new StringBuilder();
        var blank = 0;
        foreach (var line in lines)
        {
            if (line.Length == 0)
            {
                if (result.Length > 0 && blank++ == 0)
                    result.Append('\n');
                continue;
            }
            blank = 0;
            result.Append(line).Append('\n');
        }
        return result.ToString().Trim();
    }

    private static void Append(INode node, StringBuilder builder)
    {
        foreach (var child in node.ChildNodes)
        {
            switch (child)
            {
                case IText text:
                    builder.Append(CollapseSpaces(text.Data));
                    break;
                case IElement { LocalName: "br" }:
                    builder.Append('\n');
                    break;
                case IElement { LocalName: "td" or "th" } cell:
                    Append(cell, builder);
                    builder.Append(' ');
                    break;
                case IElement element when BlockElements.Contains(element.LocalName):
                    builder.Append('\n');
                    Append(element, builder);
                    builder.Append('\n');
                    break;
                case IElement element:
                    Append(element, builder);
                    break;
            }
        }
    }

    private static string CollapseSpaces(string text)
    {
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                if (!space)
                    builder.Append(' ');
                space = true;
            }
            else
            {
                builder.Append(c);
                space = false;
            }
        }
        return builder.ToString();
    }
}
