using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Graph;

internal static class GraphExtensions
{
    /// <summary>Graph access: the SDK clients with their pipeline (token refresh, per-mailbox concurrency, limits) and the hosts' browser addresses.</summary>
    public static IServiceCollection AddGraph(this IServiceCollection services)
    {
        services.AddOptions<GraphLimitsOptions>().BindConfiguration(GraphLimitsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<MailboxConcurrencyLimiter>();
        services.AddSingleton<CredentialThrottleRecorder>();
        services.AddSingleton<IGraphClients, GraphClients>();
        services.AddSingleton<IBrowserUrls, BrowserUrls>();
        return services;
    }
}
