using HaloPortal.Engine.Data;
using HaloPortal.Engine.Portal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Sandbox;

/// <summary>
/// The hosts the sandbox may call (webhook validation and delivery, federated issuers' metadata and keys): loopback, the sandbox's
/// virtual hosts, the portal's own address and <c>Sandbox:AllowedCallbackHosts</c>. Anything else is refused, so the sandbox cannot
/// be used to make the server send requests into its network.
/// </summary>
internal sealed class SandboxCallbackPolicy(IOptions<SandboxOptions> options, IOptions<PortalOptions> portal)
{
    public bool IsAllowed(Uri uri)
    {
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return false;
        }

        if (uri.IsLoopback
            || string.Equals(uri.Host, SandboxHosts.LoginHost, StringComparison.OrdinalIgnoreCase)
            || string.Equals(uri.Host, SandboxHosts.GraphHost, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return AllowedHosts().Contains(uri.IdnHost);
    }

    /// <summary>Why <paramref name="uri"/> is refused, in words that say which setting admits it.</summary>
    public static string Refusal(Uri uri) =>
        $"The sandbox does not call '{uri.Host}': it calls only loopback addresses, the portal's own address and the hosts listed in Sandbox:AllowedCallbackHosts.";

    private HashSet<string> AllowedHosts()
    {
        var hosts = new HashSet<string>(options.Value.AllowedCallbackHosts.Where(h => !string.IsNullOrWhiteSpace(h)).Select(h => h.Trim()), StringComparer.OrdinalIgnoreCase);
        foreach (var own in new[] { portal.Value.PublicBaseUrl, options.Value.BaseUrl })
        {
            if (Uri.TryCreate(own, UriKind.Absolute, out var uri))
            {
                hosts.Add(uri.IdnHost);
            }
        }

        return hosts;
    }
}

/// <summary>Refuses every outbound sandbox request to a host the <see cref="SandboxCallbackPolicy"/> does not allow.</summary>
internal sealed class SandboxCallbackGuard(SandboxCallbackPolicy policy) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        request.RequestUri is { } uri && !policy.IsAllowed(uri)
            ? throw new HttpRequestException(SandboxCallbackPolicy.Refusal(uri))
            : base.SendAsync(request, cancellationToken);
}

/// <summary>Warns at start-up that the sandbox (anonymous sign-in pages, test tokens) is served outside Development.</summary>
internal sealed class SandboxExposureWarning(string environment, ILogger<SandboxExposureWarning> logger) : IStartupTask
{
    public int Order => 49;

    public Task RunAsync(CancellationToken cancellationToken)
    {
        logger.LogWarning(
            "The sandbox tenant is enabled in the {Environment} environment (Sandbox:Enabled=true): /sandbox/login serves anonymous sign-in pages and test tokens. " +
            "Use it on test deployments only; set Sandbox__Enabled=false to switch it off.", environment);
        return Task.CompletedTask;
    }
}
