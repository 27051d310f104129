using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Subscriptions;

internal static class SubscriptionsExtensions
{
    public static IServiceCollection AddSubscriptions(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SubscriptionCache>();
        services.AddSingleton<WebhookQueue>();
        services.AddSingleton<Subscriptions>();
        services.AddSingleton<ISubscriptions>(sp => sp.GetRequiredService<Subscriptions>());
        services.AddSingleton<Credentials.ICredentialRetirement>(sp => sp.GetRequiredService<Subscriptions>());
        services.AddSingleton<NotificationIntake>();
        services.AddSingleton<IGraphNotifications>(sp => sp.GetRequiredService<NotificationIntake>());
        services.AddHostedService(sp => sp.GetRequiredService<NotificationIntake>());
        services.AddSingleton<WebhookWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookWorker>());
        services.AddTransient(sp => new WebhookRetryJob(sp.GetRequiredService<WebhookWorker>()));
        services.AddTransient<RenewSubscriptionsJob>();
        services.AddHostedService<SubscriptionSchedule>();
        return services;
    }
}
