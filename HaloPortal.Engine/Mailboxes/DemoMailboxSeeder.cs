using System.Text;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Identity;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Sandbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Mailboxes;

/// <summary>
/// On the embedded default's first start, connects a mailbox "Support (sandbox)" to the sandbox demo tenant's shared
/// mailbox with client-credential secret credentials, and delivers a welcome email, so a new user sees mail become a ticket.
/// </summary>
internal sealed class DemoMailboxSeeder(
    IServiceProvider services,
    IDbContextFactory<PortalDbContext> contexts,
    ICredentialSecrets secrets,
    TimeProvider time,
    IOptions<PortalOptions> portal,
    ILogger<DemoMailboxSeeder> logger) : IStartupTask
{
    public const string DemoMailboxName = "Support (sandbox)";

    public int Order => 60; // after the sandbox seeded its demo tenant

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var demo = services.GetService<ISandboxDemo>() is { } source ? await source.GetAsync(cancellationToken) : null;
        if (demo is null)
        {
            return;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deployment = await db.Set<DeploymentRow>().SingleAsync(cancellationToken);
        if (deployment.DemoMailboxSeeded)
        {
            return;
        }

        var now = time.GetUtcNow();
        var mailbox = new Mailbox { Name = DemoMailboxName, CreatedAt = now };
        mailbox.Credentials.Add(new MailboxCredential
        {
            Instance = portal.Value.Instance,
            AuthMethod = AuthMethod.ClientCredentials,
            CredentialType = CredentialType.ClientSecret,
            ProcessingMethod = ProcessingMethod.MailboxScan,
            Authority = GraphAuthority.Sandbox,
            TenantId = demo.TenantId.ToString(),
            ClientId = demo.AppId.ToString(),
            ClientSecretProtected = secrets.Protect(demo.ClientSecret),
            SecretExpiresAt = demo.ClientSecretExpiresAt,
            EmailAddress = demo.SharedMailbox,
            Status = CredentialStatus.Connected,
            ConnectedAddress = demo.SharedMailbox,
            ConnectedDisplayName = "Support (sandbox)",
            ConnectedAt = now,
            CreatedAt = now,
        });
        if (!await db.Set<Mailbox>().AnyAsync(m => m.Name == DemoMailboxName, cancellationToken))
        {
            db.Add(mailbox);
        }

        deployment.DemoMailboxSeeded = true;
        await db.SaveChangesAsync(cancellationToken);

        // The demo mailbox can send, so it is also the default outgoing mailbox (replies, notification emails) until one is chosen.
        var settings = await db.Set<Outbound.EmailSettingsRow>().SingleOrDefaultAsync(cancellationToken);
        if (settings is not null && settings.DefaultOutgoingMailboxId is null && settings.DefaultOutgoingMailboxName is null && mailbox.Id != 0)
        {
            settings.DefaultOutgoingMailboxId = mailbox.Id;
            settings.DefaultOutgoingMailboxName = mailbox.Name;
            await db.SaveChangesAsync(cancellationToken);
        }
        logger.LogInformation("Seeded the demo mailbox '{Name}' connected to the sandbox mailbox {Address}", DemoMailboxName, demo.SharedMailbox);

        if (services.GetService<ISandboxControl>() is { } control)
        {
            var welcome = $"""
                From: Alex Wilber <{demo.UserPrincipalName}>
                To: Support <{demo.SharedMailbox}>
                Subject: Welcome to HaloPortal - my laptop will not start
                Date: {now.AddSeconds(1):R}
                Message-ID: <welcome.{Guid.NewGuid():N}@{demo.DefaultDomain}>
                MIME-Version: 1.0
                Content-Type: text/plain; charset=utf-8

                Hello support,

                This is the sandbox's first email. It becomes a ticket on the next mailbox scan,
                or right away with Import emails on the mailbox's Incoming tab.

                Alex
                """;
            await control.DeliverMimeAsync(demo.SharedMailbox, new MemoryStream(Encoding.UTF8.GetBytes(welcome.Replace("\n", "\r\n"))), cancellationToken: cancellationToken);
        }
    }
}
