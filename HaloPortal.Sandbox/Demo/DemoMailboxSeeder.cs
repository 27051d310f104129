using System.Text;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Portal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Sandbox.Demo;

/// <summary>
/// On the embedded default's first start, connects a mailbox "Support (sandbox)" to the sandbox demo tenant's shared
/// mailbox with client-credential secret credentials, and delivers a welcome email, so a new user sees mail become a ticket.
/// Runs once (a deployment marker); nothing is recreated after an administrator deletes it.
/// </summary>
internal sealed class DemoMailboxSeeder(
    ISandboxDemo source,
    ISandboxControl control,
    IDeployment deployment,
    IMailboxes mailboxes,
    ICredentials credentials,
    ICredentialConnections connections,
    IEmailSettings emailSettings,
    TimeProvider time,
    IOptions<PortalOptions> portal,
    ILogger<DemoMailboxSeeder> logger) : IStartupTask
{
    public const string DemoMailboxName = "Support (sandbox)";

    public int Order => 60; // after the sandbox seeded its demo tenant

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (await source.GetAsync(cancellationToken) is not { } demo || await deployment.HasReachedAsync(DeploymentMarkers.DemoMailboxSeeded, cancellationToken))
        {
            return;
        }

        var mailboxId = await CreateMailboxAsync(demo, cancellationToken);
        await deployment.MarkReachedAsync(DeploymentMarkers.DemoMailboxSeeded, cancellationToken);
        if (mailboxId is null)
        {
            return;
        }

        // The demo mailbox can send, so it is also the default outgoing mailbox (replies, notification emails) until one is chosen.
        var settings = await emailSettings.GetAsync(cancellationToken);
        if (settings.DefaultOutgoingMailboxId is null && settings.DefaultOutgoingMailboxName is null)
        {
            await emailSettings.SetDefaultOutgoingMailboxAsync(mailboxId, Actor.System, cancellationToken);
        }

        logger.LogInformation("Seeded the demo mailbox '{Name}' connected to the sandbox mailbox {Address}", DemoMailboxName, demo.SharedMailbox);
        await control.DeliverMimeAsync(demo.SharedMailbox, new MemoryStream(Encoding.UTF8.GetBytes(Welcome(demo).Replace("\n", "\r\n"))), cancellationToken: cancellationToken);
    }

    /// <summary>The demo mailbox with its connected credentials; null when a mailbox of that name already exists (it is left alone) or the
    /// credentials were refused.</summary>
    private async Task<int?> CreateMailboxAsync(SandboxDemoTenant demo, CancellationToken cancellationToken)
    {
        if ((await mailboxes.ListAsync(cancellationToken)).Any(m => m.Name == DemoMailboxName))
        {
            return null;
        }

        var mailbox = await mailboxes.CreateAsync(DemoMailboxName, MailboxConnectionType.Office365Azure, Actor.System, cancellationToken);
        var input = new CredentialInput
        {
            Instance = portal.Value.Instance,
            AuthMethod = AuthMethod.ClientCredentials,
            CredentialType = CredentialType.ClientSecret,
            ProcessingMethod = ProcessingMethod.MailboxScan,
            Authority = GraphAuthority.Sandbox,
            TenantId = demo.TenantId.ToString(),
            ClientId = demo.AppId.ToString(),
            ClientSecret = demo.ClientSecret,
            SecretExpiresAt = demo.ClientSecretExpiresAt,
            EmailAddress = demo.SharedMailbox,
        };
        try
        {
            var credential = await credentials.CreateAsync(mailbox.Id, input, Actor.System, cancellationToken);
            await connections.MarkConnectedAsync(credential.Id, demo.SharedMailbox, DemoMailboxName, cancellationToken);
            return mailbox.Id;
        }
        catch (CredentialValidationException ex)
        {
            // A start-up seed never stops the portal: the mailbox stays, without credentials, for the administrator to set up.
            logger.LogWarning("The demo mailbox '{Name}' was created without credentials: {Errors}", DemoMailboxName, string.Join(" ", ex.Validation.Errors.SelectMany(e => e.Value)));
            return null;
        }
    }

    private string Welcome(SandboxDemoTenant demo) => $"""
        From: Alex Wilber <{demo.UserPrincipalName}>
        To: Support <{demo.SharedMailbox}>
        Subject: Welcome to HaloPortal - my laptop will not start
        Date: {time.GetUtcNow().AddSeconds(1):R}
        Message-ID: <welcome.{Guid.NewGuid():N}@{demo.DefaultDomain}>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Hello support,

        This is the sandbox's first email. It becomes a ticket on the next mailbox scan,
        or right away with Import emails on the mailbox's Incoming tab.

        Alex
        """;
}
