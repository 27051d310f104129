using HaloPortal.Engine.Ingestion.Sources.Scan;
using HaloPortal.Engine.Ingestion.Sources.Webhook;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Ingestion;

internal static class IngestionExtensions
{
    public static IServiceCollection AddIngestion(this IServiceCollection services)
    {
        services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IIngestionSettings, IngestionSettingsStore>();
        services.AddSingleton<MailboxSideEffects>();
        services.AddSingleton<InboundProcessor>();
        services.AddSingleton<IPipelineProbe, NoPipelineProbe>();
        services.AddSingleton<MailboxScanner>();
        services.AddSingleton<IMailboxScanner>(sp => sp.GetRequiredService<MailboxScanner>());
        services.AddSingleton<IInboundLog, InboundLog>();
        services.AddSingleton<IInboundReplays, InboundReplays>();
        services.AddSingleton<ImportRunService>();
        services.AddSingleton<IImportRuns>(sp => sp.GetRequiredService<ImportRunService>());
        services.AddSingleton<HaloPortal.Engine.Nodes.IChangeTopic>(sp => sp.GetRequiredService<ImportRunService>());
        services.AddSingleton<InterruptedImportSweep>();
        services.AddSingleton<HaloPortal.Engine.Data.IStartupTask>(sp => sp.GetRequiredService<InterruptedImportSweep>());
        services.AddSingleton<HaloPortal.Engine.Nodes.INodeRecovery>(sp => sp.GetRequiredService<InterruptedImportSweep>());
        services.AddSingleton<RejectionTally>();
        services.AddSingleton<Telemetry.CachedGauge, PipelineDepthGauge>();
        services.AddTransient<ScanJob>();
        services.AddTransient<ResumeJob>();
        services.AddTransient<ImportRunJob>();
        services.AddTransient<ReplayJob>();
        services.AddHostedService<ScanScheduleSync>();
        services.AddWebhookSource();
        return services;
    }
}
