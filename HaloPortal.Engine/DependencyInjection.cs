using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.BackendServices;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Contacts;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Monitoring;
using HaloPortal.Engine.Nodes;
using HaloPortal.Engine.Notifications;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Retention;
using HaloPortal.Engine.Rules;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Engine.Telemetry;
using HaloPortal.Engine.Tickets;
using HaloPortal.Engine.Tokens;
using HaloPortal.Engine.EndUsers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace HaloPortal.Engine;

public static class DependencyInjection
{
    /// <summary>Registers the whole engine: data, and every feature's services and jobs.</summary>
    public static IServiceCollection AddHaloEngine(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<PortalOptions>().BindConfiguration(PortalOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<PortalOptions>>(new PortalOptionsValidation(environment));

        services.AddPortalData(configuration, environment);
        services.AddNodes();
        services.AddTelemetry();
        services.AddSingleton(new FederatedTokenDirectory(FederatedTokenFiles.Directory(configuration, environment)));
        services.AddSingleton<IAuditLog, AuditLog>();
        services.AddSingleton<BackendServicesStore>();
        services.AddSingleton<IBackendServices>(sp => sp.GetRequiredService<BackendServicesStore>());
        services.AddSingleton<IChangeTopic>(sp => sp.GetRequiredService<BackendServicesStore>());
        services.AddPortalAccounts(environment);
        services.AddMailboxes();
        services.AddCredentials();
        services.AddTokens();
        services.AddGraph();
        services.AddCredentialConnections();
        services.AddEndUsers();
        services.AddRules();
        services.AddTickets();
        services.AddIngestion();
        services.AddOutbound();
        services.AddNotifications();
        services.AddContacts();
        services.AddSubscriptions();
        services.AddRetention();
        services.AddMonitoring();
        services.AddSingleton<Deployment>();
        services.AddSingleton<IDeployment>(sp => sp.GetRequiredService<Deployment>());
        services.AddSingleton<IStartupTask>(sp => sp.GetRequiredService<Deployment>());
        return services;
    }
}
