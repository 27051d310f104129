using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HaloPortal.Sandbox;

/// <summary>The Sandbox authority credentials can choose: the sandbox's virtual hosts, refused while the sandbox is off.</summary>
public static class SandboxAuthority
{
    public const string DisabledMessage =
        "The Sandbox authority is available only while the sandbox tenant is enabled (Sandbox__Enabled=true, test deployments only). Choose your tenant's cloud: Microsoft Graph Global Service unless you know otherwise.";

    public static readonly AuthorityEndpoints Endpoints =
        new(GraphAuthority.Sandbox, "Sandbox (built-in test tenant)", SandboxHosts.LoginHost, SandboxHosts.GraphHost, "https://graph.microsoft.com") { KnownToMsal = false };

    /// <summary>Registers the authority (whether or not the sandbox is enabled, so existing sandbox credentials still show what they are),
    /// its host routing, and the portal's own address as the notification address while Portal:PublicBaseUrl is not set.</summary>
    internal static IServiceCollection AddSandboxAuthority(this IServiceCollection services)
    {
        services.AddAuthority(Endpoints, sp => sp.GetRequiredService<IOptions<SandboxOptions>>().Value.Enabled
            ? null
            : new AuthorityRefusal(DisabledMessage, KnownErrors.Find(KnownErrors.SandboxDisabled)!));
        services.AddSingleton<IHostRouter, SandboxRouter>();
        services.AddSingleton<IPublicAddressFallback, SandboxPublicAddress>();
        return services;
    }
}

/// <summary>Without Portal:PublicBaseUrl, the sandbox notifies the server at its own listening address.</summary>
internal sealed class SandboxPublicAddress(ISandboxConnector connector) : IPublicAddressFallback
{
    public PublicAddress? For(GraphAuthority authority)
    {
        if (authority != GraphAuthority.Sandbox)
        {
            return null;
        }

        var own = connector.ResolveBaseAddress().GetLeftPart(UriPartial.Authority);
        return new PublicAddress(own, $"Portal:PublicBaseUrl is not set, so the sandbox notifies this server at its own address {own}. Microsoft Graph could not reach that: set Portal:PublicBaseUrl before using a real tenant.");
    }
}
