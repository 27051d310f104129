using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;

namespace HaloPortal.Sandbox;

internal sealed class SandboxConnector(IServiceProvider services, IOptions<SandboxOptions> options, IOptions<PortalOptions> portal) : ISandboxConnector
{
    private Uri? _discovered;

    public IMsalHttpClientFactory MsalHttpClientFactory => new MsalFactory(this);

    public HttpMessageHandler CreateHandler(HttpMessageHandler? inner = null) =>
        new RewriteHandler(this) { InnerHandler = inner ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) } };

    public Uri ResolveBaseAddress()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.BaseUrl))
        {
            return new Uri(options.Value.BaseUrl.TrimEnd('/') + "/");
        }

        if (_discovered is not null)
        {
            return _discovered;
        }

        var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var candidates = addresses
            .Select(a => Uri.TryCreate(a.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal), UriKind.Absolute, out var u) ? u : null)
            .OfType<Uri>()
            .Select(u => u.Host is "0.0.0.0" or "[::]" or "::" ? new UriBuilder(u) { Host = "127.0.0.1" }.Uri : u)
            .OrderBy(u => u.Scheme == Uri.UriSchemeHttp ? 0 : 1)
            .ThenBy(u => u.IsLoopback ? 0 : 1)
            .ToList();
        if (candidates.Count == 0)
        {
            throw new InvalidOperationException(
                "The sandbox cannot tell where this portal listens (the server has not started, or reports no address). Set Sandbox:BaseUrl, e.g. http://127.0.0.1:5080.");
        }

        _discovered = new Uri(candidates[0].GetLeftPart(UriPartial.Authority) + "/");
        return _discovered;
    }

    public Uri ToBrowserUrl(Uri url)
    {
        if (!url.IsAbsoluteUri || !string.Equals(url.Host, SandboxHosts.LoginHost, StringComparison.OrdinalIgnoreCase))
        {
            return url;
        }

        var baseUrl = !string.IsNullOrWhiteSpace(portal.Value.PublicBaseUrl) ? new Uri(portal.Value.PublicBaseUrl.TrimEnd('/') + "/") : ResolveBaseAddress();
        return Rewrite(url, baseUrl, SandboxHosts.LoginPathPrefix);
    }

    internal Uri? Map(Uri url)
    {
        if (!url.IsAbsoluteUri)
        {
            return null;
        }

        if (string.Equals(url.Host, SandboxHosts.LoginHost, StringComparison.OrdinalIgnoreCase))
        {
            return Rewrite(url, ResolveBaseAddress(), SandboxHosts.LoginPathPrefix);
        }

        return string.Equals(url.Host, SandboxHosts.GraphHost, StringComparison.OrdinalIgnoreCase)
            ? Rewrite(url, ResolveBaseAddress(), SandboxHosts.GraphPathPrefix)
            : null;
    }

    private static Uri Rewrite(Uri url, Uri baseUrl, string prefix)
    {
        var basePath = baseUrl.AbsolutePath.TrimEnd('/');
        return new Uri($"{baseUrl.Scheme}://{baseUrl.Authority}{basePath}{prefix}{url.PathAndQuery}");
    }

    private sealed class RewriteHandler(SandboxConnector? connector) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (connector is not null && request.RequestUri is { } uri && connector.Map(uri) is { } mapped)
            {
                request.Headers.Remove(SandboxHosts.VirtualHostHeader);
                request.Headers.TryAddWithoutValidation(SandboxHosts.VirtualHostHeader, uri.Host);
                request.RequestUri = mapped;
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class MsalFactory(SandboxConnector connector) : IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => connector.SharedClient;
    }

    private HttpClient? _shared;

    private HttpClient SharedClient => LazyInitializer.EnsureInitialized(ref _shared, () => new HttpClient(CreateHandler()));
}
