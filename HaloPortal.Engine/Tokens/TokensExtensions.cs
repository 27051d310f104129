using HaloPortal.Engine.Graph;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Tokens;

internal static class TokensExtensions
{
    /// <summary>MSAL: the confidential client applications and their tokens.</summary>
    public static IServiceCollection AddTokens(this IServiceCollection services)
    {
        services.AddSingleton<MsalApplications>();
        services.AddSingleton<CredentialTokens>();
        services.AddSingleton<ICredentialTokens>(sp => sp.GetRequiredService<CredentialTokens>());
        services.AddHttpClient(MsalApplications.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => HostRouting.Transport(sp.GetServices<IHostRouter>()));
        return services;
    }
}
