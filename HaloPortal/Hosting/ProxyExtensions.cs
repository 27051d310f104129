using System.Net;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace HaloPortal.Hosting;

/// <summary>
/// Running behind a TLS-terminating reverse proxy: X-Forwarded-For/Proto/Host are believed only from the proxies and networks
/// listed in <c>Portal:ForwardedHeaders</c>. With none listed the headers are ignored (ASP.NET Core would otherwise trust loopback,
/// and with empty lists every sender).
/// </summary>
internal static class ProxyExtensions
{
    public static IServiceCollection AddPortalForwardedHeaders(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<PortalOptions>>((forwarded, portal) =>
        {
            var settings = portal.Value.ForwardedHeaders;
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in settings.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy.Trim()));
            }

            foreach (var network in settings.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network.Trim()));
            }

            // A forwarded Host is accepted only when it is the public address the portal was configured with.
            if (Uri.TryCreate(portal.Value.PublicBaseUrl, UriKind.Absolute, out var publicUrl))
            {
                forwarded.AllowedHosts = [publicUrl.IsDefaultPort ? publicUrl.Host : $"{publicUrl.Host}:{publicUrl.Port}"];
            }
        });
        return services;
    }

    /// <summary>First in the pipeline, and only when proxies are configured: with no known proxy the middleware would trust anyone.</summary>
    public static WebApplication UsePortalForwardedHeaders(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<PortalOptions>>().Value.ForwardedHeaders.Any)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }
}
