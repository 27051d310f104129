using HaloPortal.Engine.Ingestion;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Outbound;

internal static class OutboundExtensions
{
    public static IServiceCollection AddOutbound(this IServiceCollection services)
    {
        services.AddOptions<OutboundOptions>().BindConfiguration(OutboundOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IEmailSettings, EmailSettingsStore>();
        services.AddSingleton<OutboundSignal>();
        services.AddSingleton<OutboundEvents>();
        services.AddSingleton<IOutboundEvents>(sp => sp.GetRequiredService<OutboundEvents>());
        services.AddSingleton<Nodes.IChangeTopic>(sp => sp.GetRequiredService<OutboundEvents>());
        services.AddSingleton<DraftSender>();
        services.AddSingleton<OutboundSender>();
        services.AddSingleton<IReplies, Replies>();
        services.AddSingleton<IAcknowledgements, AcknowledgementStore>();
        services.AddSingleton<INewTicketObserver, AcknowledgementObserver>();
        services.AddSingleton<Telemetry.CachedGauge, OutboundDepthGauge>();
        services.AddSingleton<OutboundWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboundWorker>());
        services.AddSingleton<Nodes.INodeRecovery>(sp => sp.GetRequiredService<OutboundWorker>());
        return services;
    }
}
