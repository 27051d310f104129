using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HaloPortal.Engine.Credentials;

internal static class CredentialsExtensions
{
    /// <summary>Credentials: the authorities, the credential store, its secrets (encrypted at rest) and rules, and their retirement.</summary>
    public static IServiceCollection AddCredentials(this IServiceCollection services)
    {
        services.AddSingleton<IAuthorities, AuthorityRegistry>();
        services.AddSingleton<ICredentialSecrets, CredentialSecrets>();
        services.AddSingleton<ICredentials, CredentialService>();
        services.TryAddSingleton<IClientSecretLifetimes, UnknownClientSecretLifetimes>();
        services.AddSingleton<CredentialRetirements>();
        services.AddSingleton<Data.IStartupTask, UnusableCredentials>();
        return services;
    }
}
