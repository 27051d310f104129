using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Subscriptions;

internal static class SubscriptionsExtensions
{
    public static IServiceCollection AddSubscriptions(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SubscriptionCache>();
        services.AddSingleton<SubscriptionLifecycle>();
        services.AddSingleton<ISubscriptions>(sp => sp.GetRequiredService<SubscriptionLifecycle>());
        services.AddSingleton<Credentials.ICredentialRetirement>(sp => sp.GetRequiredService<SubscriptionLifecycle>());
        services.AddSingleton<Nodes.IChangeTopic>(sp => sp.GetRequiredService<SubscriptionLifecycle>());
        services.AddTransient<RenewSubscriptionsJob>();
        services.AddHostedService<SubscriptionSchedule>();
        return services;
    }
}
