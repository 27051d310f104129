using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Ingestion.Sources.Webhook;

internal static class WebhookSourceExtensions
{
    /// <summary>The webhook source: the receiver's group commit, the hand-off queue and the worker that takes acknowledged mail to the pipeline.</summary>
    public static IServiceCollection AddWebhookSource(this IServiceCollection services)
    {
        services.AddSingleton<WebhookQueue>();
        services.AddSingleton<WebhookReadRecorder>();
        services.AddSingleton<ChangeNotificationWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeNotificationWriter>());
        services.AddSingleton<IChangeNotifications, ChangeNotificationIntake>();
        services.AddSingleton<WebhookWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookWorker>());
        services.AddSingleton<Nodes.INodeRecovery>(sp => sp.GetRequiredService<WebhookWorker>());
        services.AddTransient(sp => new WebhookRetryJob(sp.GetRequiredService<WebhookWorker>()));
        return services;
    }
}
