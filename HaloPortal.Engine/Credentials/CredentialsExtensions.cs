using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Identity;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Outbound;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HaloPortal.Engine.Credentials;

internal static class CredentialsExtensions
{
    /// <summary>Mailboxes, credentials, identity (MSAL), Graph access and the outgoing defaults.</summary>
    public static IServiceCollection AddMailboxes(this IServiceCollection services)
    {
        services.AddSingleton<MailboxService>();
        services.AddSingleton<IMailboxes>(sp => sp.GetRequiredService<MailboxService>());
        services.AddSingleton<IAuthorities, AuthorityRegistry>();
        services.AddSingleton<ICredentials, CredentialService>();
        services.TryAddSingleton<IClientSecretLifetimes, UnknownClientSecretLifetimes>();
        services.AddSingleton<ICredentialSecrets, CredentialSecrets>();
        services.AddSingleton<MsalApplications>();
        services.AddSingleton<CredentialTokens>();
        services.AddSingleton<ICredentialTokens>(sp => sp.GetRequiredService<CredentialTokens>());
        services.AddSingleton<CredentialRetirements>();
        services.AddSingleton<CredentialConnections>();
        services.AddSingleton<ICredentialConnections>(sp => sp.GetRequiredService<CredentialConnections>());
        services.AddOptions<GraphLimitsOptions>().BindConfiguration(GraphLimitsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<MailboxConcurrencyLimiter>();
        services.AddSingleton<IGraphClients, GraphClients>();
        services.AddSingleton<IBrowserUrls, BrowserUrls>();
        services.AddSingleton<Data.IStartupTask, UnusableCredentials>();
        services.AddSingleton<IEmailSettings, EmailSettingsStore>();
        services.AddHttpClient(MsalApplications.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => HostRouting.Transport(sp.GetServices<IHostRouter>()));
        return services;
    }
}
