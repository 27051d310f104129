using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace HaloPortal.Tests.Security;

/// <summary>
/// Checks email HTML the way a browser would see it: parsed (not searched as text), every element and attribute looked at.
/// Inert means: no script-capable element, no event handler, no script URL, nothing that loads from elsewhere, nothing
/// that can restyle or overlay the page.
/// </summary>
internal static class InertHtml
{
    private static readonly HashSet<string> ForbiddenElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "link", "meta", "base", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
        "form", "input", "button", "textarea", "select", "template", "noscript", "video", "audio", "source", "image", "portal",
    };

    private static readonly HashSet<string> ForbiddenCssProperties =
        ["position", "z-index", "top", "left", "right", "bottom", "inset", "transform", "behavior", "-moz-binding", "content", "cursor"];

    private static readonly string[] ForbiddenCssValues = ["url(", "expression", "javascript", "vbscript", "image-set", "binding"];

    private static readonly string[] ForbiddenAttributes = ["class", "id", "name", "srcset", "background", "poster", "formaction", "action", "srcdoc"];

    public static IReadOnlyList<IElement> Elements(string html) =>
        new HtmlParser().ParseDocument("<!doctype html><html><body>" + html).Body!.QuerySelectorAll("*").ToList();

    /// <summary>Fails with the offending element and reason when the HTML is not inert.</summary>
    public static void Assert(string? html)
    {
        foreach (var problem in Problems(html ?? ""))
        {
            Xunit.Assert.Fail($"{problem}\nin: {html}");
        }
    }

    public static IEnumerable<string> Problems(string html)
    {
        foreach (var element in Elements(html))
        {
            var tag = element.LocalName;
            if (ForbiddenElements.Contains(tag) || element.NamespaceUri != AngleSharp.Dom.NamespaceNames.HtmlUri)
            {
                yield return $"<{tag}> is present";
            }

            foreach (var attribute in element.Attributes)
            {
                var name = attribute.Name.ToLowerInvariant();
                var value = attribute.Value.Trim();
                if (name.StartsWith("on", StringComparison.Ordinal))
                {
                    yield return $"<{tag}> has the event handler {name}=\"{value}\"";
                }

                if (ForbiddenAttributes.Contains(name))
                {
                    yield return $"<{tag}> has {name}";
                }

                if (name == "src" && !(tag == "img" && IsPortalImage(value)))
                {
                    yield return $"<{tag}> loads {value}";
                }

                if (name == "href" && (value.StartsWith("javascript:", StringComparison.OrdinalIgnoreCase) || value.StartsWith("vbscript:", StringComparison.OrdinalIgnoreCase)
                    || value.StartsWith("data:", StringComparison.OrdinalIgnoreCase)))
                {
                    yield return $"<{tag}> links to {value}";
                }

                if (name == "style")
                {
                    foreach (var declaration in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        var colon = declaration.IndexOf(':', StringComparison.Ordinal);
                        var property = (colon < 0 ? declaration : declaration[..colon]).Trim().ToLowerInvariant();
                        var css = (colon < 0 ? "" : declaration[(colon + 1)..]).ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal);
                        if (ForbiddenCssProperties.Contains(property) || ForbiddenCssValues.Any(v => css.Contains(v, StringComparison.Ordinal)))
                        {
                            yield return $"<{tag}> has style {declaration}";
                        }
                    }
                }
            }
        }
    }

    private static bool IsPortalImage(string source) =>
        source.StartsWith("cid:", StringComparison.OrdinalIgnoreCase)
        || System.Text.RegularExpressions.Regex.IsMatch(source, "^/attachments/[0-9]+$")
        || System.Text.RegularExpressions.Regex.IsMatch(source, "^data:image/(png|jpe?g|gif|webp|bmp);base64,", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
}
