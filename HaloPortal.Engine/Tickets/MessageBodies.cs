using System.Security.Cryptography;
using System.Text;
using AngleSharp.Html.Parser;
using HaloPortal.Engine.Parsing;
using Microsoft.Extensions.Caching.Memory;

namespace HaloPortal.Engine.Tickets;

/// <summary>
/// Stored email HTML as the portal shows it (ticket pages and <c>GET /api/v1/tickets/{id}</c>). Every stored body is
/// sanitised again on the way out with the current policy, so tickets stored by older versions (or under an older
/// policy) are held to today's rules without a data migration. Results are cached by content hash, so a body is
/// sanitised once per policy and process, not on every page view.
/// </summary>
public static class MessageBodies
{
    private const long CacheBudgetChars = 16 * 1024 * 1024;

    private static readonly MemoryCache Cache = new(new MemoryCacheOptions { SizeLimit = CacheBudgetChars });
    private static readonly HtmlParser Parser = new();

    /// <summary>The body safe to embed: sanitised with the current policy, remote images blocked.</summary>
    public static string? ForDisplay(string? storedHtml)
    {
        if (string.IsNullOrEmpty(storedHtml))
        {
            return storedHtml;
        }

        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(storedHtml)));
        if (Cache.TryGetValue(key, out string? cached) && cached is not null)
        {
            return cached;
        }

        var safe = EmailHtmlSanitizer.Sanitize(storedHtml);
        if (safe.Length < CacheBudgetChars / 16)
        {
            Cache.Set(key, safe, new MemoryCacheEntryOptions { Size = Math.Max(1, safe.Length), SlidingExpiration = TimeSpan.FromHours(1) });
        }

        return safe;
    }

    /// <summary>True when a displayed body has remote images that were not loaded.</summary>
    public static bool HasBlockedImages(string? displayedHtml) =>
        !string.IsNullOrEmpty(displayedHtml) && displayedHtml.Contains(EmailHtmlSanitizer.RemoteSourceAttribute, StringComparison.Ordinal)
        && HasBlockedImagesIn(displayedHtml);

    private static bool HasBlockedImagesIn(string html)
    {
        using var document = Parse(html);
        return document.Body!.QuerySelectorAll($"img[{EmailHtmlSanitizer.RemoteSourceAttribute}]").Length > 0;
    }

    /// <summary>
    /// A displayed body (the output of <see cref="ForDisplay"/>) with its blocked remote images turned back on, for an agent
    /// who chose "Show images" on that message. Only http(s) addresses are restored, on <c>img</c> elements only.
    /// </summary>
    public static string WithRemoteImages(string displayedHtml)
    {
        ArgumentNullException.ThrowIfNull(displayedHtml);
        using var document = Parse(displayedHtml);
        foreach (var image in document.Body!.QuerySelectorAll($"img[{EmailHtmlSanitizer.RemoteSourceAttribute}]"))
        {
            var source = image.GetAttribute(EmailHtmlSanitizer.RemoteSourceAttribute)!.Trim();
            image.RemoveAttribute(EmailHtmlSanitizer.RemoteSourceAttribute);
            if (EmailHtmlSanitizer.IsRemote(source) && !source.StartsWith("//", StringComparison.Ordinal))
            {
                image.SetAttribute("src", source);
            }
        }

        return document.Body.InnerHtml;
    }

    private static AngleSharp.Html.Dom.IHtmlDocument Parse(string html) => Parser.ParseDocument("<!doctype html><html><body>" + html);
}
