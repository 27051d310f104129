using HaloPortal.Engine.Graph;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Sandbox;

/// <summary>Routes the sandbox tenant's virtual hosts through its connector while the sandbox is enabled; otherwise routes nothing.</summary>
internal sealed class SandboxRouter(IServiceProvider services) : IHostRouter
{
    private ISandboxConnector? Connector => services.GetService<ISandboxConnector>();

    public HttpMessageHandler Wrap(HttpMessageHandler inner) => Connector?.CreateHandler(inner) ?? inner;

    public Uri? RouteForBrowser(Uri uri) =>
        Connector is { } connector && (uri.Host == SandboxHosts.LoginHost || uri.Host == SandboxHosts.GraphHost) ? connector.ToBrowserUrl(uri) : null;
}
