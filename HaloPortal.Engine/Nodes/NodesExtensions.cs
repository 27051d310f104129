using HaloPortal.Engine.Data;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Nodes;

internal static class NodesExtensions
{
    /// <summary>
    /// Several portal nodes on one database: this node's identity and heartbeat, the leases other features take, and the change
    /// feed that carries each feature's change events to the other nodes.
    /// </summary>
    public static IServiceCollection AddNodes(this IServiceCollection services)
    {
        services.AddOptions<NodeOptions>().BindConfiguration(NodeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<NodeRegistry>();
        services.AddSingleton<IPortalNodes>(sp => sp.GetRequiredService<NodeRegistry>());
        services.AddSingleton<NodeLeases>();
        services.AddSingleton<NodeHeartbeat>();
        services.AddSingleton<IStartupTask>(sp => sp.GetRequiredService<NodeHeartbeat>());
        services.AddHostedService(sp => sp.GetRequiredService<NodeHeartbeat>());
        services.AddSingleton<ChangeFeed>();
        services.AddSingleton<IChangeFeed>(sp => sp.GetRequiredService<ChangeFeed>());
        services.AddHostedService(sp => sp.GetRequiredService<ChangeFeed>());
        services.AddSingleton<ChangeFeedPoller>();
        services.AddSingleton<IStartupTask>(sp => sp.GetRequiredService<ChangeFeedPoller>());
        services.AddHostedService(sp => sp.GetRequiredService<ChangeFeedPoller>());
        return services;
    }
}
