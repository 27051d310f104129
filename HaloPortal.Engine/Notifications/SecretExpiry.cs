using Hangfire;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Notifications;

/// <summary>
/// Raises "secret-expiry:{credentialId}" for client secrets and certificates expiring within 30 days, and announces it again as it
/// reaches 7 days, 1 day and expiry (one open problem, one notification per stage); resolves it once replaced.
/// </summary>
internal sealed class SecretExpiryCheck(IDbContextFactory<PortalDbContext> contexts, INotifications notifications, TimeProvider time, IOptions<PortalOptions> portal)
{
    public static readonly TimeSpan Warning = TimeSpan.FromDays(30);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var here = portal.Value.Instance;
        var credentials = await (from c in db.Set<MailboxCredential>().AsNoTracking()
                                 where c.Instance == here
                                 join m in db.Set<Mailbox>() on c.MailboxId equals m.Id
                                 select new { c.Id, c.MailboxId, c.CredentialType, c.SecretExpiresAt, c.CertificateExpiresAt, Mailbox = m.Name }).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        foreach (var c in credentials)
        {
            var (what, expires) = c.CredentialType switch
            {
                CredentialType.ClientSecret => ("client secret", c.SecretExpiresAt),
                CredentialType.Certificate => ("certificate", c.CertificateExpiresAt),
                _ => ("", null),
            };
            var key = ProblemKeys.SecretExpiry(c.Id);
            if (expires is { } at && at - now <= Warning)
            {
                var left = at - now;
                var stage = left <= TimeSpan.Zero ? "has expired"
                    : left <= TimeSpan.FromDays(1) ? "expires within a day"
                    : left <= TimeSpan.FromDays(7) ? "expires within 7 days"
                    : "expires within 30 days";
                var when = left <= TimeSpan.Zero
                    ? $"It expired on {at:yyyy-MM-dd HH:mm} UTC: the mailbox can no longer be read and replies cannot be sent through it."
                    : $"It expires on {at:yyyy-MM-dd HH:mm} UTC (in {Plural.Of((long)Math.Ceiling(left.TotalDays), "day")}). When it expires the mailbox can no longer be read and replies cannot be sent through it.";
                await notifications.RaiseAsync(new ProblemReport(
                    key,
                    NotificationCategory.EmailProcessing,
                    $"The {what} of mailbox '{c.Mailbox}' {stage}",
                    when,
                    c.CredentialType == CredentialType.ClientSecret
                        ? "In Azure open App registrations > your app > Certificates & secrets, create a new client secret, copy its Value (not the Secret ID) and paste it into the credential with its new expiry."
                        : "Create a new certificate, upload its public key to the app registration (Certificates & secrets > Certificates) and upload the certificate with its private key to the credential.",
                    PortalRoutes.MailboxTab(c.MailboxId, "credentials", c.Id),
                    NotifyWhenTitleChanges: true), cancellationToken);
            }
            else
            {
                await notifications.ResolveAsync(key, $"The {what} of mailbox '{c.Mailbox}' was replaced.", cancellationToken);
            }
        }
    }
}

/// <summary>The daily check: a trigger only.</summary>
internal sealed class SecretExpiryJob(SecretExpiryCheck check)
{
    [AutomaticRetry(Attempts = 3)]
    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    public Task RunAsync(CancellationToken cancellationToken) => check.RunAsync(cancellationToken);
}

/// <summary>Registers the daily expiry check and runs it once at start-up.</summary>
internal sealed class SecretExpirySchedule(IRecurringJobManager recurring, IBackgroundJobClient jobs) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurring.AddOrUpdate<SecretExpiryJob>("secret-expiry", j => j.RunAsync(CancellationToken.None), Cron.Daily(6));
        jobs.Enqueue<SecretExpiryJob>(j => j.RunAsync(CancellationToken.None));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
