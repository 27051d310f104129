using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Notifications;

internal static class NotificationsExtensions
{
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        services.AddSingleton<NotificationEvents>();
        services.AddHostedService<ContactProblems>();
        services.AddTransient<ContactProblemJob>();
        services.AddSingleton<INotificationEvents>(sp => sp.GetRequiredService<NotificationEvents>());
        services.AddSingleton<Nodes.IChangeTopic>(sp => sp.GetRequiredService<NotificationEvents>());
        services.AddSingleton<NotificationService>();
        services.AddSingleton<INotifications>(sp => sp.GetRequiredService<NotificationService>());
        services.AddSingleton<EngineProblems>();
        services.AddSingleton<Credentials.ICredentialStatusObserver>(sp => sp.GetRequiredService<EngineProblems>());
        services.AddSingleton<Ingestion.IInboundBatchObserver>(sp => sp.GetRequiredService<EngineProblems>());
        services.AddSingleton<SecretExpiryCheck>();
        services.AddTransient<SecretExpiryJob>();
        services.AddHostedService<SecretExpirySchedule>();
        return services;
    }
}
