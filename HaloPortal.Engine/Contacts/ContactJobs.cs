using Hangfire;
using HaloPortal.Engine.Mailboxes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Contacts;

/// <summary>The scheduled contact sync of one mailbox: a trigger only; whether it is due is decided by the engine from the recorded runs.</summary>
public sealed class ContactImportJob(IContactImports imports)
{
    [DisableConcurrentExecution(timeoutInSeconds: 3600)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(int mailboxId, CancellationToken cancellationToken) => imports.ImportIfDueAsync(mailboxId, cancellationToken);
}

/// <summary>Keeps one recurring contact-sync job per mailbox whose scheduled import is enabled (re-synced whenever a schedule or mailbox changes).</summary>
internal sealed class ContactScheduleSync(
    IContactImports imports,
    IMailboxes mailboxes,
    IRecurringJobManager recurring,
    IOptions<ContactsOptions> options,
    ILogger<ContactScheduleSync> logger) : IHostedService
{
    private const string Prefix = "contacts-mailbox-";
    private readonly HashSet<int> _registered = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await SyncAsync(cancellationToken);
        imports.Changed += OnChanged;
        mailboxes.Changed += OnChanged;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        imports.Changed -= OnChanged;
        mailboxes.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    private void OnChanged(int mailboxId) => _ = Task.Run(async () =>
    {
        try
        {
            await SyncAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not update the contact sync schedule after mailbox {MailboxId} changed", mailboxId);
        }
    });

    internal async Task SyncAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var wanted = (await imports.ScheduledMailboxesAsync(cancellationToken)).ToHashSet();
            var cron = $"*/{options.Value.CheckEveryMinutes} * * * *";
            foreach (var id in wanted.Where(id => !_registered.Contains(id)))
            {
                recurring.AddOrUpdate<ContactImportJob>(Prefix + id, j => j.RunAsync(id, CancellationToken.None), cron);
                _registered.Add(id);
            }

            foreach (var stale in _registered.Where(id => !wanted.Contains(id)).ToList())
            {
                recurring.RemoveIfExists(Prefix + stale);
                _registered.Remove(stale);
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
