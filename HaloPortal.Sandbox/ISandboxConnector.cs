using Microsoft.Identity.Client;

namespace HaloPortal.Sandbox;

/// <summary>
/// Routes the sandbox's virtual https hosts (<see cref="SandboxHosts"/>) to this portal's own endpoints, so MSAL and the
/// Graph SDK talk to the sandbox unchanged except for the host. Requests to any other host pass through untouched.
/// </summary>
public interface ISandboxConnector
{
    /// <summary>A new handler that rewrites <c>https://login.sandbox.haloportal.invalid/...</c> to <c>{portal}/sandbox/login/...</c>
    /// and <c>https://graph.sandbox.haloportal.invalid/...</c> to <c>{portal}/sandbox/graph/...</c>, sending through <paramref name="inner"/>
    /// (a new <see cref="SocketsHttpHandler"/> when null). Use it as the final handler of the Graph client's pipeline.</summary>
    HttpMessageHandler CreateHandler(HttpMessageHandler? inner = null);

    /// <summary>For <c>ConfidentialClientApplicationBuilder.WithHttpClientFactory</c>: one shared HttpClient over <see cref="CreateHandler"/>.</summary>
    IMsalHttpClientFactory MsalHttpClientFactory { get; }

    /// <summary>The portal address the sandbox is reached at (from <c>Sandbox:BaseUrl</c>, else the server's listening addresses).</summary>
    Uri ResolveBaseAddress();

    /// <summary>Maps a virtual sandbox URL (typically an authorize URL from MSAL) to the real portal URL a browser can open;
    /// other URLs are returned unchanged.</summary>
    Uri ToBrowserUrl(Uri url);
}
