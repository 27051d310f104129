using Hangfire;
using HaloPortal.Engine.Audit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Retention;

/// <summary>The daily purge: a trigger only. One run at a time across nodes; a second run finds nothing old left.</summary>
internal sealed class RetentionJob(IRetention retention)
{
    public const string JobId = "retention-purge";

    [AutomaticRetry(Attempts = 3)]
    [DisableConcurrentExecution(timeoutInSeconds: 3600)]
    public Task RunAsync(CancellationToken cancellationToken) => retention.PurgeAsync(Actor.System, cancellationToken: cancellationToken);
}

/// <summary>Registers the daily purge at Portal:Retention:HourUtc.</summary>
internal sealed class RetentionSchedule(IRecurringJobManager recurring, IOptions<RetentionOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurring.AddOrUpdate<RetentionJob>(RetentionJob.JobId, j => j.RunAsync(CancellationToken.None), Cron.Daily(options.Value.HourUtc));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
