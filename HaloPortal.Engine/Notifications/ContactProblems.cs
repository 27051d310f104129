using Hangfire;
using HaloPortal.Engine.Contacts;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace HaloPortal.Engine.Notifications;

/// <summary>
/// Contact sync failures become "contacts:{mailboxId}" problems (integration errors), resolved by the next good import. The
/// import's events only queue a <see cref="ContactProblemJob"/>: the notification (and its emails) is written by Hangfire, never
/// by a forgotten task on the import's thread.
/// </summary>
internal sealed class ContactProblems(IContactImports imports, IBackgroundJobClient jobs) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        imports.ImportFailed += OnFailed;
        imports.Changed += OnChanged;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        imports.ImportFailed -= OnFailed;
        imports.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    private void OnFailed(ContactImportFailure failure) =>
        jobs.Enqueue<ContactProblemJob>(j => j.FailedAsync(failure.MailboxId, failure.Trigger, failure.Error.Code, failure.Error.Message, failure.Error.Fix, CancellationToken.None));

    private void OnChanged(int mailboxId) => jobs.Enqueue<ContactProblemJob>(j => j.ChangedAsync(mailboxId, CancellationToken.None));
}

/// <summary>Raises or resolves a mailbox's contact-import problem.</summary>
internal sealed class ContactProblemJob(INotifications notifications, IDbContextFactory<PortalDbContext> contexts)
{
    public async Task FailedAsync(int mailboxId, ContactImportTrigger trigger, string code, string message, string fix, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var name = await db.Set<Mailbox>().Where(m => m.Id == mailboxId).Select(m => m.Name).SingleOrDefaultAsync(cancellationToken) ?? $"#{mailboxId}";
        await notifications.RaiseAsync(new ProblemReport(
            ProblemKeys.Contacts(mailboxId),
            NotificationCategory.Integration,
            $"Contact import of mailbox '{name}' failed",
            $"{trigger} import: {message} ({code})",
            fix,
            PortalRoutes.MailboxTab(mailboxId, "contact-imports")), cancellationToken);
    }

    /// <summary>The import state changed: once no failure is recorded, the problem is resolved.</summary>
    public async Task ChangedAsync(int mailboxId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Set<ContactImportSettings>().AnyAsync(s => s.MailboxId == mailboxId && s.LastFailureCode != null, cancellationToken))
        {
            await notifications.ResolveAsync(ProblemKeys.Contacts(mailboxId), "The contact import works again.", cancellationToken);
        }
    }
}
