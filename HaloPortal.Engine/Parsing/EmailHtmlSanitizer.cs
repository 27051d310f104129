using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Ganss.Xss;

namespace HaloPortal.Engine.Parsing;

/// <summary>
/// The HtmlSanitizer configuration for email bodies shown in the portal. It runs when an email is parsed and again
/// whenever a stored body is shown or returned by the API (so tickets stored under an older policy are held to this one).
/// <list type="bullet">
/// <item>No scripts, event handlers, frames, forms, embedded objects, SVG/MathML, &lt;style&gt; blocks or external stylesheets.</item>
/// <item>Nothing can restyle or overlay the portal: no <c>class</c>, <c>id</c> or <c>name</c>; inline styles keep
/// colours, fonts, spacing and borders but lose positioning, stacking, transforms and anything that loads a resource
/// (<c>url()</c>, <c>image-set()</c>, <c>expression()</c>...).</item>
/// <item>Only an <c>img</c>'s <c>src</c> may load anything, and only from the portal: <c>cid:</c> (resolved to
/// <c>/attachments/{id}</c> once stored), <c>/attachments/{id}</c>, or base64 <c>data:image</c>. A remote (http/https)
/// source is moved to <see cref="RemoteSourceAttribute"/>, so tracking pixels are not fetched until an agent asks.</item>
/// <item>Links open in a new tab with rel="noopener noreferrer".</item>
/// </list>
/// The sanitiser only ever works on the parsed document (AngleSharp); its output is serialised by AngleSharp.
/// </summary>
internal static partial class EmailHtmlSanitizer
{
    /// <summary>Where a blocked remote image keeps its address, for "Show images".</summary>
    public const string RemoteSourceAttribute = "data-remote-src";

    private static readonly string[] RemovedTags =
    [
        "script", "noscript", "style", "link", "meta", "base", "title",
        "iframe", "frame", "frameset", "object", "embed", "applet", "param", "portal",
        "form", "input", "button", "select", "option", "optgroup", "textarea", "datalist", "output", "fieldset", "legend", "label",
        "audio", "video", "source", "track", "dialog", "template", "svg", "math", "image", "picture",
    ];

    // Attributes that would let the email restyle the portal (class), clobber the page's ids and globals (id, name), or load
    // something by themselves (everything that takes a URL except a[href] and img[src], which are handled below).
    private static readonly string[] RemovedAttributes =
    [
        "class", "id", "name", "background", "srcset", "sizes", "lowsrc", "dynsrc", "poster", "longdesc", "usemap", "ismap",
        "action", "formaction", "ping", "cite", "profile", "codebase", "archive", "classid", "data", "itemtype", "manifest",
    ];

    // CSS that moves content out of the message's box or above the portal, changes the pointer, or injects content.
    private static readonly string[] RemovedCssPrefixes =
    [
        "position", "z-index", "top", "right", "bottom", "left", "inset", "transform", "translate", "rotate", "scale", "offset",
        "mask", "-webkit-mask", "clip", "cursor", "content", "pointer-events", "behavior", "-moz-binding", "anchor", "zoom",
    ];

    private static readonly HtmlSanitizer Sanitizer = Create(keepRemoteImages: false);
    private static readonly HtmlSanitizer OutgoingSanitizer = Create(keepRemoteImages: true);

    /// <summary>Sanitises an email body (a whole document or a fragment) into an HTML fragment safe to embed in the portal.</summary>
    public static string Sanitize(string html) => Sanitizer.Sanitize(html);

    /// <summary>
    /// The same policy for mail the portal sends (an agent's reply), except that remote images keep their source: the
    /// recipient's mail client decides about those. Shown in the portal, the stored copy goes through <see cref="Sanitize"/>.
    /// </summary>
    public static string SanitizeOutgoing(string html) => OutgoingSanitizer.Sanitize(html);

    /// <summary>True for an http(s) or protocol-relative address, i.e. one the browser would fetch from elsewhere.</summary>
    public static bool IsRemote(string url)
    {
        var value = url.Trim();
        return value.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || value.StartsWith("//", StringComparison.Ordinal);
    }

    private static HtmlSanitizer Create(bool keepRemoteImages)
    {
        var sanitizer = new HtmlSanitizer();
        foreach (var tag in RemovedTags)
        {
            sanitizer.AllowedTags.Remove(tag);
        }

        sanitizer.AllowedSchemes.Clear();
        foreach (var scheme in new[] { "http", "https", "mailto", "tel", "cid", "data" })
        {
            sanitizer.AllowedSchemes.Add(scheme);
        }

        foreach (var attribute in RemovedAttributes)
        {
            sanitizer.AllowedAttributes.Remove(attribute);
            sanitizer.UriAttributes.Remove(attribute);
        }

        sanitizer.AllowedAttributes.Add("target");
        sanitizer.AllowedAttributes.Add("rel");
        sanitizer.AllowedAttributes.Add(RemoteSourceAttribute);
        sanitizer.UriAttributes.Add(RemoteSourceAttribute);
        sanitizer.AllowDataAttributes = false;
        sanitizer.AllowCssCustomProperties = false;
        foreach (var property in sanitizer.AllowedCssProperties.Where(p => RemovedCssPrefixes.Any(prefix => p.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            sanitizer.AllowedCssProperties.Remove(property);
        }

        // Checked against the value after CSS escapes are decoded: a declaration that loads or evaluates anything goes whole.
        sanitizer.DisallowCssPropertyValue = DisallowedCssValue();

        // data: is allowed by scheme above only so that inline base64 images survive; anywhere else it is dropped.
        sanitizer.FilterUrl += (_, e) =>
        {
            if (e.OriginalUrl.TrimStart().StartsWith("data:", StringComparison.OrdinalIgnoreCase)
                && !(e.Tag is { LocalName: "img" } && DataImage().IsMatch(e.OriginalUrl.Trim())))
            {
                e.SanitizedUrl = null;
            }
        };
        sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is not IElement element)
            {
                return;
            }

            foreach (var attribute in RemovedAttributes)
            {
                element.RemoveAttribute(attribute);
            }

            switch (element.LocalName)
            {
                case "a" when element.HasAttribute("href"):
                    element.SetAttribute("target", "_blank");
                    element.SetAttribute("rel", "noopener noreferrer");
                    break;
                case "img":
                    ScreenImage(element, keepRemoteImages);
                    return;
            }

            element.RemoveAttribute("src");
            element.RemoveAttribute(RemoteSourceAttribute);
        };
        return sanitizer;
    }

    /// <summary>An image keeps a source the portal serves; a remote one is parked for "Show images"; anything else goes.</summary>
    private static void ScreenImage(IElement image, bool keepRemoteImages)
    {
        var parked = image.GetAttribute(RemoteSourceAttribute);
        if (parked is not null && !IsRemote(parked))
        {
            image.RemoveAttribute(RemoteSourceAttribute);
        }

        if (image.GetAttribute("src") is not { } source)
        {
            return;
        }

        var value = source.Trim();
        if (value.StartsWith("cid:", StringComparison.OrdinalIgnoreCase) || DataImage().IsMatch(value) || PortalAttachment().IsMatch(value)
            || (keepRemoteImages && IsRemote(value)))
        {
            return;
        }

        image.RemoveAttribute("src");
        if (IsRemote(value))
        {
            image.SetAttribute(RemoteSourceAttribute, value.StartsWith("//", StringComparison.Ordinal) ? "https:" + value : value);
        }
    }

    [GeneratedRegex(@"^data:image/(?:png|jpe?g|gif|webp|bmp);base64,[A-Za-z0-9+/=\s]*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DataImage();

    [GeneratedRegex(@"^/attachments/[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex PortalAttachment();

    [GeneratedRegex(@"[<>\\]|url\s*\(|image\s*\(|image-set|element\s*\(|expression|javascript|vbscript|@import|binding|behavior",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DisallowedCssValue();
}
