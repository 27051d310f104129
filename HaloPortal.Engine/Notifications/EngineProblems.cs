using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Notifications;

/// <summary>
/// Turns the engine's own state changes into problems: a credential that cannot reach its mailbox, emails that failed
/// permanently. Never throws into the caller: a notification that cannot be recorded is logged, the caller's work stands.
/// </summary>
internal sealed class EngineProblems(IDbContextFactory<PortalDbContext> contexts, INotifications notifications, ILogger<EngineProblems> logger)
    : ICredentialStatusObserver, IInboundBatchObserver
{
    /// <summary>After a credential's status was recorded: Failing / NeedsReauthorisation opens "credential:{id}", Connected resolves it.</summary>
    public async Task CredentialStatusChangedAsync(int credentialId, CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var credential = await db.Set<MailboxCredential>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == credentialId, cancellationToken);
            if (credential is null)
            {
                return;
            }

            var key = ProblemKeys.Credential(credentialId);
            if (credential.Status == CredentialStatus.Connected)
            {
                await notifications.ResolveAsync(key, cancellationToken: cancellationToken);
                return;
            }

            if (credential.Status is not (CredentialStatus.Failing or CredentialStatus.NeedsReauthorisation))
            {
                return;
            }

            var mailbox = await db.Set<Mailbox>().Where(m => m.Id == credential.MailboxId).Select(m => m.Name).SingleOrDefaultAsync(cancellationToken) ?? $"#{credential.MailboxId}";
            var known = KnownErrors.Find(credential.LastErrorCode);
            var title = credential.Status == CredentialStatus.NeedsReauthorisation
                ? $"Mailbox '{mailbox}' needs re-authorisation"
                : $"Mailbox '{mailbox}' cannot be read";
            await notifications.RaiseAsync(new ProblemReport(
                key,
                NotificationCategory.EmailProcessing,
                title,
                $"{credential.Instance} credentials{(credential.TargetAddress is { } a ? $" for {a}" : "")}: {credential.LastErrorMessage ?? known?.Message ?? "the last attempt failed."}" +
                (credential.LastErrorCode is { } code ? $" ({code})" : ""),
                known?.Fix ?? KnownErrors.Unknown(credential.LastErrorCode ?? "Unknown", "").Fix,
                PortalRoutes.MailboxTab(credential.MailboxId, "credentials", credential.Id)), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not record the notification for credential {CredentialId}", credentialId);
        }
    }

    /// <summary>After a batch: emails failed permanently open "ingestion:{mailboxId}"; once none is left failed it is resolved.</summary>
    public async Task AfterBatchAsync(Mailbox mailbox, IReadOnlyCollection<InboundEmail> emails, CancellationToken cancellationToken)
    {
        try
        {
            var key = ProblemKeys.Ingestion(mailbox.Id);
            var failed = emails.Where(e => e.Status == InboundStatus.Failed).ToList();
            if (failed.Count > 0)
            {
                var last = failed[^1];
                await notifications.RaiseAsync(new ProblemReport(
                    key,
                    NotificationCategory.EmailProcessing,
                    $"Emails in mailbox '{mailbox.Name}' could not be processed",
                    $"{Plural.Of(failed.Count, "email")} failed; the last: \"{last.Subject ?? "(no subject)"}\" from {last.From ?? "unknown"} — {last.Reason}",
                    KnownErrors.Find(last.ErrorCode)?.Fix ?? "Open the inbound log, read each failed email's reason, fix the cause and replay it (the raw message can be downloaded there).",
                    PortalRoutes.MailboxTab(mailbox.Id, "inbound-log")), cancellationToken);
                return;
            }

            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            if (await db.Set<Problem>().AnyAsync(p => p.Key == key && p.ResolvedAt == null, cancellationToken)
                && !await db.Set<InboundEmail>().AnyAsync(e => e.MailboxId == mailbox.Id && e.Status == InboundStatus.Failed, cancellationToken))
            {
                await notifications.ResolveAsync(key, $"No email of mailbox '{mailbox.Name}' is left failed.", cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not record the ingestion notification for mailbox {MailboxId}", mailbox.Id);
        }
    }
}
