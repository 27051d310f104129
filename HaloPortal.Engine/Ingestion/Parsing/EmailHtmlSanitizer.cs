using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Ganss.Xss;

namespace HaloPortal.Engine.Ingestion.Parsing;

/// <summary>
/// The HtmlSanitizer configuration for email bodies shown in the portal: no scripts, event handlers, frames,
/// forms, embedded objects, &lt;style&gt; blocks or external stylesheets (a style block would restyle the whole
/// portal page); tables, inline styles and links are kept, links open in a new tab with rel="noopener noreferrer";
/// images may come from http, https, cid (inline attachments) and data:image (base64 only).
/// </summary>
internal static partial class EmailHtmlSanitizer
{
    private static readonly string[] RemovedTags =
    [
        "script", "noscript", "style", "link", "meta", "base", "title",
        "iframe", "frame", "frameset", "object", "embed", "applet", "param", "portal",
        "form", "input", "button", "select", "option", "optgroup", "textarea", "datalist", "output", "fieldset", "legend", "label",
        "audio", "video", "source", "track", "dialog", "template", "svg", "math",
    ];

    private static readonly HtmlSanitizer Sanitizer = Create();

    /// <summary>Sanitises an email body (a whole document or a fragment) into an HTML fragment safe to embed.</summary>
    public static string Sanitize(string html) => Sanitizer.Sanitize(html);

    private static HtmlSanitizer Create()
    {
        var sanitizer = new HtmlSanitizer();
        foreach (var tag in RemovedTags)
            sanitizer.AllowedTags.Remove(tag);
        sanitizer.AllowedSchemes.Clear();
        foreach (var scheme in new[] { "http", "https", "mailto", "tel", "cid", "data" })
            sanitizer.AllowedSchemes.Add(scheme);
        sanitizer.AllowedAttributes.Add("class");
        sanitizer.AllowedAttributes.Add("target");
        sanitizer.AllowedAttributes.Add("rel");

        // data: is allowed by scheme above only so that inline base64 images survive; anywhere else it is dropped.
        sanitizer.FilterUrl += (_, e) =>
        {
            if (e.OriginalUrl.TrimStart().StartsWith("data:", StringComparison.OrdinalIgnoreCase)
                && !(e.Tag is { } tag && tag.LocalName == "img" && DataImage().IsMatch(e.OriginalUrl.Trim())))
            {
                e.SanitizedUrl = null;
            }
        };
        sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is IElement { LocalName: "a" } link && link.HasAttribute("href"))
            {
                link.SetAttribute("target", "_blank");
                link.SetAttribute("rel", "noopener noreferrer");
            }
        };
        return sanitizer;
    }

    [GeneratedRegex(@"^data:image/(?:png|jpe?g|gif|webp|bmp);base64,[A-Za-z0-9+/=\s]*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DataImage();
}
