using Hangfire;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Contacts;

/// <summary>The scheduled contact sync of one mailbox: a trigger only; whether it is due is decided by the engine from the recorded runs.</summary>
internal sealed class ContactImportJob(IContactImports imports)
{
    [DisableConcurrentExecution(timeoutInSeconds: 3600)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(int mailboxId, CancellationToken cancellationToken) => imports.ImportIfDueAsync(mailboxId, cancellationToken);
}

/// <summary>An import someone started through the API without waiting: run by Hangfire, so it survives the request and is listed with the other jobs.</summary>
public sealed class ContactImportNowJob(IContactImports imports)
{
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(int mailboxId, CancellationToken cancellationToken) =>
        imports.ImportAsync(mailboxId, null, ContactImportTrigger.Manual, cancellationToken);
}

/// <summary>Keeps one recurring contact-sync job per mailbox whose scheduled import is enabled (re-synced whenever a schedule or mailbox changes).</summary>
internal sealed class ContactScheduleSync(
    IContactImports imports,
    IMailboxes mailboxes,
    IRecurringJobManager recurring,
    IOptions<ContactsOptions> options,
    ILogger<ContactScheduleSync> logger) : RecurringJobSet(recurring, logger)
{
    protected override string Prefix => "contacts-mailbox-";

    protected override async Task<IReadOnlyCollection<int>> WantedAsync(CancellationToken cancellationToken) =>
        await imports.ScheduledMailboxesAsync(cancellationToken);

    protected override void Register(IRecurringJobManager jobs, string jobId, int id) =>
        jobs.AddOrUpdate<ContactImportJob>(jobId, j => j.RunAsync(id, CancellationToken.None), $"*/{options.Value.CheckEveryMinutes} * * * *");

    protected override void Watch(Action<int> changed, bool subscribe)
    {
        if (subscribe)
        {
            imports.Changed += changed;
            mailboxes.Changed += changed;
        }
        else
        {
            imports.Changed -= changed;
            mailboxes.Changed -= changed;
        }
    }
}
