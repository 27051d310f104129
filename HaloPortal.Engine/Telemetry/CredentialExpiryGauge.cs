using System.Diagnostics.Metrics;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Telemetry;

/// <summary>
/// Days until each credential's client secret or certificate expires (negative once expired), for this instance's credentials: an
/// alert on it gives weeks of notice, where an expired secret stops the mailbox at once.
/// </summary>
internal sealed class CredentialExpiryGauge(
    IDbContextFactory<PortalDbContext> contexts,
    IOptions<PortalOptions> portal,
    IOptions<MetricsOptions> options,
    TimeProvider time,
    ILogger<CredentialExpiryGauge> logger) : CachedGauge(options, time, logger)
{
    protected override string Name => "haloportal.credential.expiry";

    protected override string? Unit => "d";

    protected override string Description => "Days until a credential's client secret or certificate expires (negative once expired).";

    protected override IReadOnlyList<Measurement<double>> Read()
    {
        using var db = contexts.CreateDbContext();
        var here = portal.Value.Instance;
        var credentials = (from c in db.Set<MailboxCredential>().AsNoTracking()
                           where c.Instance == here && (c.SecretExpiresAt != null || c.CertificateExpiresAt != null)
                           join m in db.Set<Mailbox>() on c.MailboxId equals m.Id
                           select new { c.Id, c.MailboxId, c.CredentialType, c.SecretExpiresAt, c.CertificateExpiresAt, Mailbox = m.Name }).ToList();
        var now = Time.GetUtcNow();
        var readings = new List<Measurement<double>>(credentials.Count);
        foreach (var c in credentials)
        {
            var (kind, expires) = c.CredentialType switch
            {
                CredentialType.ClientSecret => ("client_secret", c.SecretExpiresAt),
                CredentialType.Certificate => ("certificate", c.CertificateExpiresAt),
                _ => ("", null),
            };
            if (expires is { } at)
            {
                readings.Add(new Measurement<double>(Math.Round((at - now).TotalDays, 2),
                    new("credential.id", c.Id), new("credential.type", kind), new("mailbox.id", c.MailboxId), new("mailbox.name", c.Mailbox)));
            }
        }

        return readings;
    }
}
