using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Connections;

internal static class ConnectionsExtensions
{
    /// <summary>Connections: testing a credential against Graph, the authorisation-code sign-in, and disconnecting.</summary>
    public static IServiceCollection AddCredentialConnections(this IServiceCollection services)
    {
        services.AddSingleton<CredentialConnections>();
        services.AddSingleton<ICredentialConnections>(sp => sp.GetRequiredService<CredentialConnections>());
        return services;
    }
}
