using Hangfire;
using Microsoft.Extensions.Hosting;

namespace HaloPortal.Engine.Monitoring;

/// <summary>The daily ledger of every connected mailbox: a trigger only.</summary>
internal sealed class LedgerJob(IMailboxLedger ledger)
{
    [DisableConcurrentExecution(timeoutInSeconds: 1800)]
    [AutomaticRetry(Attempts = 1)]
    public Task RunAsync(CancellationToken cancellationToken) => ledger.CheckAllAsync(cancellationToken);
}

/// <summary>Registers the daily ledger job (04:30 UTC, before the working day).</summary>
internal sealed class LedgerSchedule(IRecurringJobManager recurring) : IHostedService
{
    public const string JobId = "mailbox-ledger";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurring.AddOrUpdate<LedgerJob>(JobId, j => j.RunAsync(CancellationToken.None), "30 4 * * *");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
