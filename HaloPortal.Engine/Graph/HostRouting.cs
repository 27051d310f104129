namespace HaloPortal.Engine.Graph;

/// <summary>
/// Maps virtual hosts to where they are really served (the sandbox tenant's login and Graph hosts to the portal's own
/// /sandbox routes). The real clouds need no router: their requests pass unchanged.
/// </summary>
public interface IHostRouter
{
    /// <summary>The address a server-side request for <paramref name="uri"/> must really go to, or null when this router does not handle its host.</summary>
    Uri? Route(Uri uri);

    /// <summary>The address a browser must open for <paramref name="uri"/> (e.g. an authorize page), or null when not handled.</summary>
    Uri? RouteForBrowser(Uri uri);
}

/// <summary>Rewrites requests for virtual hosts through the registered <see cref="IHostRouter"/>s.</summary>
internal sealed class HostRoutingHandler(IEnumerable<IHostRouter> routers) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri)
        {
            foreach (var router in routers)
            {
                if (router.Route(uri) is { } routed)
                {
                    request.RequestUri = routed;
                    request.Headers.Host = null;
                    break;
                }
            }
        }

        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Maps browser-facing URLs through the registered routers.</summary>
public interface IBrowserUrls
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
