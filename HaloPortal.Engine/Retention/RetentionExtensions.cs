using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Retention;

internal static class RetentionExtensions
{
    public static IServiceCollection AddRetention(this IServiceCollection services)
    {
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IRetention, RetentionService>();
        services.AddTransient<RetentionJob>();
        services.AddHostedService<RetentionSchedule>();
        return services;
    }
}
