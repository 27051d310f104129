using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Telemetry;

internal static class TelemetryExtensions
{
    /// <summary>The engine's meter and activity source, the mailbox-name tags, and the gauges this feature reads itself.</summary>
    public static IServiceCollection AddTelemetry(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TracingOptions>().BindConfiguration(TracingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton<MailboxNames>();
        services.AddSingleton<PortalTelemetry>();
        services.AddSingleton<CachedGauge, CredentialExpiryGauge>();
        services.AddHostedService<GaugeRegistration>();
        return services;
    }
}
