using System.Text.RegularExpressions;
using HaloPortal.Engine.Parsing;

namespace HaloPortal.Engine.Outbound;

/// <summary>The reply composer's simple formatting: plain text with **bold**, _italic_ and line breaks, turned into HTML.</summary>
public static partial class ReplyFormatting
{
    public static string ToHtml(string text)
    {
        var html = BodyText.TextToHtml((text ?? "").Trim());
        html = Bold().Replace(html, "<b>$1</b>");
        html = Italic().Replace(html, "<i>$1</i>");
        return "<div>" + html + "</div>";
    }

    [GeneratedRegex(@"\*\*(\S(?:.*?\S)?)\*\*")]
    private static partial Regex Bold();

    [GeneratedRegex(@"(?<![\w])_(\S(?:.*?\S)?)_(?![\w])")]
    private static partial Regex Italic();
}
