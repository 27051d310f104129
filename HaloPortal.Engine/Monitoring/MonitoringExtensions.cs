using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Monitoring;

internal static class MonitoringExtensions
{
    /// <summary>Per-mailbox health, the ledger and its daily check.</summary>
    public static IServiceCollection AddMonitoring(this IServiceCollection services)
    {
        services.AddSingleton<IMailboxHealth, MailboxHealthService>();
        services.AddSingleton<IMailboxLedger, MailboxLedgerService>();
        services.AddTransient<LedgerJob>();
        services.AddHostedService<LedgerSchedule>();
        return services;
    }
}
