namespace HaloPortal.Engine.Graph;

/// <summary>
/// Serves virtual hosts from elsewhere: the sandbox tenant's login and Graph hosts are answered by the portal's own
/// /sandbox routes. The real clouds need no router: their requests pass unchanged.
/// </summary>
public interface IHostRouter
{
    /// <summary>A handler that sends requests for this router's hosts where they are really served, and every other request through <paramref name="inner"/>.</summary>
    HttpMessageHandler Wrap(HttpMessageHandler inner);

    /// <summary>The address a browser must open for <paramref name="uri"/> (e.g. an authorize page), or null when not handled.</summary>
    Uri? RouteForBrowser(Uri uri);
}

/// <summary>Builds the transport every Graph and MSAL request goes through: sockets, wrapped by each registered router.</summary>
internal static class HostRouting
{
    public static HttpMessageHandler Transport(IEnumerable<IHostRouter> routers) =>
        routers.Aggregate<IHostRouter, HttpMessageHandler>(
            new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 64 },
            (inner, router) => router.Wrap(inner));
}

/// <summary>Maps browser-facing URLs through the registered routers.</summary>
internal interface IBrowserUrls
{
    Uri ForBrowser(Uri uri);
}

internal sealed class BrowserUrls(IEnumerable<IHostRouter> routers) : IBrowserUrls
{
    public Uri ForBrowser(Uri uri)
    {
        foreach (var router in routers)
        {
            if (router.RouteForBrowser(uri) is { } routed)
            {
                return routed;
            }
        }

        return uri;
    }
}
