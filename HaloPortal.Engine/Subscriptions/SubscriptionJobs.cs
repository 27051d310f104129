using Hangfire;
using Microsoft.Extensions.Hosting;

namespace HaloPortal.Engine.Subscriptions;

/// <summary>The recurring renewal: a trigger only; which subscriptions are due is decided by the engine from the database.</summary>
internal sealed class RenewSubscriptionsJob(ISubscriptions subscriptions)
{
    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(CancellationToken cancellationToken) => subscriptions.RenewAllDueAsync(cancellationToken);
}

/// <summary>Registers the renewal job (every 15 minutes).</summary>
internal sealed class SubscriptionSchedule(IRecurringJobManager recurring) : IHostedService
{
    public const string JobId = "renew-subscriptions";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurring.AddOrUpdate<RenewSubscriptionsJob>(JobId, j => j.RunAsync(CancellationToken.None), "*/15 * * * *");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
