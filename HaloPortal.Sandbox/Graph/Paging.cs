using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;

namespace HaloPortal.Sandbox.Graph;

/// <summary>$top/$skip paging and the links Graph returns (absolute, on the host the caller used).</summary>
internal static class Paging
{
    public static int Top(GraphRequest request, int defaultTop = 10)
    {
        var text = request.QueryValue("$top");
        if (text is null)
        {
            return defaultTop;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var top) || top < 1 || top > 1000)
        {
            throw new GraphRequestException(400, "ErrorInvalidParameter", $"The value '{text}' of parameter 'Top' is invalid. It must be between 1 and 1000.");
        }

        return top;
    }

    public static int Skip(GraphRequest request)
    {
        var text = request.QueryValue("$skip");
        return text is null ? 0 : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var skip)
            ? skip
            : throw new GraphRequestException(400, "ErrorInvalidParameter", $"The value '{text}' of parameter 'Skip' is invalid.");
    }

    /// <summary>Page size from <c>Prefer: odata.maxpagesize=N</c> (delta queries).</summary>
    public static int MaxPageSize(GraphRequest request, int defaultSize)
    {
        var prefer = request.Header("Prefer") ?? "";
        foreach (var part in prefer.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("odata.maxpagesize=", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(part["odata.maxpagesize=".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size > 0)
            {
                return Math.Min(size, 1000);
            }
        }

        return defaultSize;
    }

    /// <summary>The request's own URL with some query parameters replaced (null removes one).</summary>
    public static string Link(GraphRequest request, IReadOnlyDictionary<string, string?> replace)
    {
        var path = string.Join('/', request.Path.Trim('/').Split('/').Select(Uri.EscapeDataString));
        var query = request.Query.Where(q => !replace.ContainsKey(q.Key)).Select(q => new KeyValuePair<string, string?>(q.Key, q.Value))
            .Concat(replace.Where(r => r.Value is not null));
        return QueryHelpers.AddQueryString($"{request.LinkBase}/{path}", query);
    }

    public static string Context(GraphRequest request, string fragment) => $"{request.LinkBase}/$metadata#{fragment}";
}
