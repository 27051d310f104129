using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Notifications;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Portal;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;
using HaloPortal.Tests.Outbound;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Tests.Notifications;

/// <summary>A failing mailbox alerts its subscribed agents once, and once again when it recovers.</summary>
public sealed class NotificationTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private readonly OutboundKit _kit = new(app);

    private async Task<AgentSummary> AgentAsync(string name, bool emailProcessing, bool integration, string? email = null)
    {
        var agent = await _kit.Get<IAgents>().CreateAsync(new NewAgent(name, email ?? $"{name.ToLowerInvariant()}-{Guid.NewGuid():N}@example.com", "Agent-Password-1", [PortalRoles.Agent]), Actor.System);
        await _kit.Get<INotifications>().SetPreferencesAsync(agent.Id, new NotificationPreferences(emailProcessing, integration), Actor.System);
        return agent;
    }

    private Task<List<NotificationView>> InboxAsync(AgentSummary agent) =>
        _kit.Get<INotifications>().ListAsync(agent.Id).ContinueWith(t => t.Result.Items.ToList());

    private Task<int> NotificationMailsToAsync(AgentSummary agent) =>
        _kit.QueryAsync(db => db.Set<OutboundMessage>().CountAsync(m => m.Kind == OutboundKind.Notification && m.To == agent.Email.ToLower()));

    [Fact]
    public async Task A_failing_credential_notifies_subscribed_agents_once_and_once_on_recovery()
    {
        // A mailbox of the sandbox tenant, so the notification mail can be read as delivered.
        var subscribed = await AgentAsync("Subscribed", emailProcessing: true, integration: false, email: await _kit.CreateRequesterAsync("agent", "Subscribed Agent"));
        var integrationOnly = await AgentAsync("IntegrationOnly", emailProcessing: false, integration: true);
        var unsubscribed = await AgentAsync("Unsubscribed", emailProcessing: false, integration: false);
        await _kit.Get<IEmailSettings>().SetDefaultOutgoingMailboxAsync(SandboxMail.DemoMailboxId, Actor.System);
        var credentialId = await _kit.QueryAsync(db => db.Set<MailboxCredential>().Where(c => c.MailboxId == SandboxMail.DemoMailboxId).Select(c => c.Id).SingleAsync());

        // An application access policy now denies the mailbox: Graph answers 403 to every call.
        await _kit.Mail.Control.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.FailRequests, Status: 403));
        try
        {
            var first = await _kit.Mail.ImportAsync();
            var second = await _kit.Mail.ImportAsync();
            Assert.NotNull(first.Error);
            Assert.NotNull(second.Error);
        }
        finally
        {
            await _kit.Mail.Control.ClearFaultsAsync();
        }

        var key = ProblemKeys.Credential(credentialId);
        var problem = await _kit.QueryAsync(db => db.Set<Problem>().AsNoTracking().SingleAsync(p => p.Key == key));
        Assert.Null(problem.ResolvedAt);
        Assert.Equal(2, problem.Occurrences);
        var alert = Assert.Single(await InboxAsync(subscribed));
        Assert.Equal(NotificationKind.Problem, alert.Kind);
        Assert.Contains("Support (sandbox)", alert.Title);
        Assert.NotNull(alert.Fix);
        Assert.Equal($"/configuration/email/mailboxes/{SandboxMail.DemoMailboxId}?tab=credentials&credential={credentialId}", alert.Link);
        Assert.Equal(1, await NotificationMailsToAsync(subscribed));
        Assert.Equal(1, await _kit.Get<INotifications>().UnreadCountAsync(subscribed.Id));
        Assert.Empty(await InboxAsync(integrationOnly));
        Assert.Empty(await InboxAsync(unsubscribed));
        Assert.Equal(0, await NotificationMailsToAsync(unsubscribed));

        var recovered = await _kit.Mail.ImportAsync();
        Assert.Null(recovered.Error);
        await _kit.Mail.ImportAsync();

        var inbox = await InboxAsync(subscribed);
        Assert.Equal(2, inbox.Count);
        Assert.Equal(NotificationKind.Recovered, inbox[0].Kind);
        Assert.Equal(2, await NotificationMailsToAsync(subscribed));
        Assert.NotNull((await _kit.QueryAsync(db => db.Set<Problem>().AsNoTracking().SingleAsync(p => p.Id == problem.Id))).ResolvedAt);
        Assert.Empty(await InboxAsync(unsubscribed));

        // The notification mail goes out through the default outgoing mailbox with the portal's Message-ID.
        var mail = await _kit.QueryAsync(db => db.Set<OutboundMessage>().AsNoTracking().Where(m => m.Kind == OutboundKind.Notification && m.To == subscribed.Email.ToLower()).OrderBy(m => m.Id).LastAsync());
        var sent = await _kit.WaitSentAsync(mail.Id);
        Assert.Equal(_kit.Mail.Demo.SharedMailbox, sent.SentFrom);
        Assert.True(Engine.Parsing.PortalMessageId.TryGetDeploymentId(sent.InternetMessageId, out var deployment));
        Assert.Equal(_kit.Get<IDeployment>().DeploymentId, deployment);
        var (delivered, _) = await _kit.ReceivedAsync(subscribed.Email, sent.InternetMessageId);
        Assert.Equal("auto-generated", delivered.Headers["Auto-Submitted"]);
        Assert.Equal("All", delivered.Headers["X-Auto-Response-Suppress"]);
    }

    [Fact]
    public async Task Emails_that_fail_permanently_notify_subscribed_agents_once_per_problem()
    {
        var subscribed = await AgentAsync("IngestionWatcher", emailProcessing: true, integration: false);
        var mailboxes = _kit.Get<HaloPortal.Engine.Mailboxes.IMailboxes>();
        var incoming = (await mailboxes.GetAsync(SandboxMail.DemoMailboxId))!.Incoming;
        await mailboxes.UpdateIncomingAsync(SandboxMail.DemoMailboxId, incoming with { MaxEmailSizeMb = 1 }, Actor.System);
        try
        {
            // Two oversized emails in two scans: both Failed, one open problem, one notification.
            var padding = new string('x', 1_200_000);
            foreach (var subject in new[] { "Oversized one", "Oversized two" })
            {
                await _kit.Mail.DeliverAsync(SandboxMail.Mime("big@customer.example", _kit.Mail.Demo.SharedMailbox, subject, padding, SandboxMail.NewMessageId()));
                await _kit.Mail.ImportAsync();
            }
        }
        finally
        {
            await mailboxes.UpdateIncomingAsync(SandboxMail.DemoMailboxId, incoming, Actor.System);
        }

        var key = ProblemKeys.Ingestion(SandboxMail.DemoMailboxId);
        var problem = await _kit.QueryAsync(db => db.Set<Problem>().AsNoTracking().SingleAsync(p => p.Key == key && p.ResolvedAt == null));
        Assert.Equal(2, problem.Occurrences);
        var alert = Assert.Single(await InboxAsync(subscribed), n => n.Title.Contains("could not be processed"));
        Assert.Equal(NotificationKind.Problem, alert.Kind);
        Assert.Contains("Oversized", alert.Message);
        Assert.Equal($"/configuration/email/mailboxes/{SandboxMail.DemoMailboxId}?tab=inbound-log", alert.Link);
    }

    [Fact]
    public async Task A_failed_contact_import_notifies_integration_subscribers_and_the_next_good_import_resolves_it()
    {
        var key = ProblemKeys.Contacts(SandboxMail.DemoMailboxId);
        // Start from a working mailbox and import: a problem still open from an earlier fault would only count another occurrence.
        Assert.Null((await _kit.Mail.ImportAsync()).Error);
        var start = await ImportContactsAsync();
        Assert.True(start.Error is null && start.NotRun is null, start.NotRun ?? start.Error?.Message);
        await UntilAsync(async () => await _kit.QueryAsync(db => db.Set<Problem>().AnyAsync(p => p.Key == key && p.ResolvedAt == null)) ? null : "resolved");
        var integration = await AgentAsync("ContactWatcher", emailProcessing: false, integration: true);

        await _kit.Mail.Control.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.FailRequests, Status: 403));
        try
        {
            Assert.NotNull((await ImportContactsAsync()).Error);
        }
        finally
        {
            await _kit.Mail.Control.ClearFaultsAsync();
        }

        // The import's event queued a Hangfire job; the portal's server writes the problem and the agent's notification.
        var raised = await UntilAsync(() => _kit.QueryAsync(db => db.Set<Problem>().AsNoTracking().SingleOrDefaultAsync(p => p.Key == key && p.ResolvedAt == null)));
        await UntilAsync(async () => (await InboxAsync(integration)).FirstOrDefault(n => n.Title.Contains("Contact import of mailbox", StringComparison.Ordinal)));

        Assert.Null((await ImportContactsAsync()).Error);
        var resolved = await UntilAsync(() => _kit.QueryAsync(db => db.Set<Problem>().AsNoTracking().SingleOrDefaultAsync(p => p.Id == raised.Id && p.ResolvedAt != null)));
        Assert.NotNull(resolved.ResolvedAt);
    }

    /// <summary>A contact import of the demo mailbox that really ran (the scheduled one may hold the mailbox for a moment).</summary>
    private Task<HaloPortal.Engine.Contacts.ContactImportReport> ImportContactsAsync() =>
        UntilAsync(async () => await _kit.Get<HaloPortal.Engine.Contacts.IContactImports>().ImportAsync(SandboxMail.DemoMailboxId) is var report
            && report.NotRun?.Contains("already running", StringComparison.Ordinal) == true ? null : report);

    /// <summary>Waits (with a deadline, no fixed sleep) until <paramref name="read"/> finds something.</summary>
    private static async Task<T> UntilAsync<T>(Func<Task<T?>> read) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (await read() is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, "Nothing was recorded within 30 s.");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Raise_and_resolve_are_idempotent_per_key()
    {
        var agent = await AgentAsync("Integrator", emailProcessing: false, integration: true);
        var notifications = _kit.Get<INotifications>();
        var report = new ProblemReport(ProblemKeys.Contacts(42), NotificationCategory.Integration, "Contact sync failed", "Graph said no.", "Check Contacts.Read.", "/configuration/email/mailboxes/42");

        Assert.True(await notifications.RaiseAsync(report));
        Assert.False(await notifications.RaiseAsync(report));
        Assert.True(await notifications.ResolveAsync(report.Key));
        Assert.False(await notifications.ResolveAsync(report.Key));
        Assert.True(await notifications.RaiseAsync(report));

        var inbox = await InboxAsync(agent);
        Assert.Equal([NotificationKind.Problem, NotificationKind.Recovered, NotificationKind.Problem], inbox.OrderBy(n => n.Id).Select(n => n.Kind).ToArray());
        await notifications.MarkAllReadAsync(agent.Id);
        Assert.Equal(0, await notifications.UnreadCountAsync(agent.Id));
    }

    [Fact]
    public async Task A_secret_expiring_within_30_days_is_reported_and_again_at_7_days_1_day_and_expiry()
    {
        var agent = await AgentAsync("Expiry", emailProcessing: true, integration: false);
        var credentialId = await _kit.QueryAsync(db => db.Set<MailboxCredential>().Where(c => c.MailboxId == SandboxMail.DemoMailboxId).Select(c => c.Id).SingleAsync());
        var original = await _kit.QueryAsync(db => db.Set<MailboxCredential>().Where(c => c.Id == credentialId).Select(c => c.SecretExpiresAt).SingleAsync());
        Task ExpiresInAsync(TimeSpan left) => _kit.QueryAsync(db => db.Set<MailboxCredential>().Where(c => c.Id == credentialId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.SecretExpiresAt, DateTimeOffset.UtcNow.Add(left))));
        try
        {
            // Each stage is announced once, however often the daily check runs within it.
            foreach (var (left, stage) in new[]
            {
                (TimeSpan.FromDays(10), "expires within 30 days"),
                (TimeSpan.FromDays(5), "expires within 7 days"),
                (TimeSpan.FromHours(12), "expires within a day"),
                (TimeSpan.FromHours(-1), "has expired"),
            })
            {
                await ExpiresInAsync(left);
                await _kit.Get<SecretExpiryCheck>().RunAsync(CancellationToken.None);
                await _kit.Get<SecretExpiryCheck>().RunAsync(CancellationToken.None);
                var alert = (await InboxAsync(agent))[0];
                Assert.Equal(NotificationKind.Problem, alert.Kind);
                Assert.EndsWith($"client secret of mailbox 'Support (sandbox)' {stage}", alert.Title);
            }

            var inbox = await InboxAsync(agent);
            Assert.Equal(4, inbox.Count);
            Assert.All(inbox, n => Assert.Equal(NotificationKind.Problem, n.Kind));
            Assert.Contains("It expired on", inbox[0].Message);
            Assert.Contains("(in 5 days)", inbox[2].Message);
            Assert.Equal(1, await _kit.QueryAsync(db => db.Set<Problem>().CountAsync(p => p.Key == ProblemKeys.SecretExpiry(credentialId) && p.ResolvedAt == null)));
        }
        finally
        {
            await _kit.QueryAsync(db => db.Set<MailboxCredential>().Where(c => c.Id == credentialId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.SecretExpiresAt, original)));
        }

        await _kit.Get<SecretExpiryCheck>().RunAsync(CancellationToken.None);
        Assert.Equal(NotificationKind.Recovered, (await InboxAsync(agent))[0].Kind);
    }
}
