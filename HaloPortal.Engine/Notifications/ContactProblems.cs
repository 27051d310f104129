using HaloPortal.Engine.Contacts;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Notifications;

/// <summary>Contact sync failures become "contacts:{mailboxId}" problems (integration errors), resolved by the next good import.</summary>
internal sealed class ContactProblems(
    IContactImports imports,
    INotifications notifications,
    IDbContextFactory<PortalDbContext> contexts,
    ILogger<ContactProblems> logger) : IHostedService
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

    private void OnFailed(ContactImportFailure failure) => Run(async () =>
    {
        await using var db = await contexts.CreateDbContextAsync();
        var name = await db.Set<Mailbox>().Where(m => m.Id == failure.MailboxId).Select(m => m.Name).SingleOrDefaultAsync() ?? $"#{failure.MailboxId}";
        await notifications.RaiseAsync(new ProblemReport(
            ProblemKeys.Contacts(failure.MailboxId),
            NotificationCategory.Integration,
            $"Contact import of mailbox '{name}' failed",
            $"{failure.Trigger} import: {failure.Error.Message} ({failure.Error.Code})",
            failure.Error.Fix,
            PortalRoutes.MailboxTab(failure.MailboxId, "contact-imports")));
    });

    private void OnChanged(int mailboxId) => Run(async () =>
    {
        await using var db = await contexts.CreateDbContextAsync();
        var failing = await db.Set<ContactImportSettings>().AnyAsync(s => s.MailboxId == mailboxId && s.LastFailureCode != null);
        if (!failing)
        {
            await notifications.ResolveAsync(ProblemKeys.Contacts(mailboxId), "The contact import works again.");
        }
    });

    private void Run(Func<Task> work) => _ = Task.Run(async () =>
    {
        try
        {
            await work();
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not record a contact import notification");
        }
    });
}
