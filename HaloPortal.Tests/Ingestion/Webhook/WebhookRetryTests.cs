using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Ingestion.Sources.Webhook;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Subscriptions;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Ingestion.Webhook;

/// <summary>A portal whose runs give up on a failing read at once (no in-run re-reads), so the retry comes from the schedule.</summary>
public sealed class NoReadRetriesWebhookFactory : WebhookPortalFactory
{
    public NoReadRetriesWebhookFactory() => Settings["Portal:Ingestion:ReadRetries"] = "0";
}

/// <summary>Issue 15 item 4: the later attempt of a webhook email that Graph answered with a 503 is a Hangfire job, not a timer.</summary>
public sealed class WebhookRetryTests(NoReadRetriesWebhookFactory app) : IClassFixture<NoReadRetriesWebhookFactory>
{
    private readonly WebhookKit _kit = new(app);

    [Fact]
    public async Task A_webhook_email_Graph_answered_with_503_waits_in_a_scheduled_job_and_becomes_a_ticket_once_Graph_recovers()
    {
        await _kit.SubscribedAsync();
        var sandbox = _kit.Mail.Control;
        await sandbox.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.FailRequests, Status: 503, RetryAfterSeconds: 2));
        SandboxDeliveredMessageInfo message;
        try
        {
            message = await _kit.DeliverAsync("Webhook: the badge printer answers 503");
            var monitoring = app.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
            await WebhookKit.WaitAsync(async () =>
                    (await _kit.EmailsAsync(message)).Any(e => e.NextAttemptAt is not null && e.Status == InboundStatus.Pending)
                    && monitoring.ScheduledJobs(0, 100).Any(j => j.Value.Job?.Type == typeof(WebhookRetryJob)),
                TimeSpan.FromSeconds(30), "the email waiting for a scheduled retry job");
        }
        finally
        {
            await sandbox.ClearFaultsAsync();
        }

        var email = Assert.Single(await _kit.WaitForTicketAsync(message, TimeSpan.FromSeconds(40)));
        Assert.Equal(InboundStatus.Processed, email.Status);
        Assert.Contains(await _kit.RequestsAsync(email.Id), r => r.Log.Any(l => l.Message == "Retrying after a temporary failure."));
    }

    [Fact]
    public async Task A_scan_leaves_a_webhook_email_to_its_retry_job_until_the_job_is_overdue()
    {
        await _kit.SubscribedAsync();
        var sandbox = _kit.Mail.Control;
        await sandbox.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.FailRequests, Status: 503, RetryAfterSeconds: 600));
        SandboxDeliveredMessageInfo message;
        try
        {
            message = await _kit.DeliverAsync("Webhook: the retry job's email is not a scan's");
            await WebhookKit.WaitAsync(async () => (await _kit.EmailsAsync(message)).Any(e => e.NextAttemptAt is not null && e.Status == InboundStatus.Pending),
                TimeSpan.FromSeconds(30), "the email waiting for its retry (in 10 minutes)");
        }
        finally
        {
            await sandbox.ClearFaultsAsync();
        }

        var email = Assert.Single(await _kit.EmailsAsync(message));
        var credentialId = await _kit.DemoCredentialIdAsync();
        async Task DueAsync(TimeSpan ago) => await _kit.QueryAsync(db => db.Set<InboundEmail>().Where(e => e.Id == email.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.NextAttemptAt, DateTimeOffset.UtcNow - ago)));

        // Due a moment ago: its job is about to run, so a scan leaves it alone.
        await DueAsync(TimeSpan.FromSeconds(5));
        var requests = (await _kit.RequestsAsync(email.Id)).Count;
        Assert.Null((await _kit.Mail.Scanner.ScanAsync(credentialId, RequestKind.Scan)).Error);
        Assert.Equal(requests, (await _kit.RequestsAsync(email.Id)).Count);
        Assert.Equal(InboundStatus.Pending, Assert.Single(await _kit.EmailsAsync(message)).Status);

        // Overdue by more than the grace: the job was lost, and the scan's safety net processes it.
        await DueAsync(WebhookRetries.Grace + TimeSpan.FromSeconds(5));
        Assert.Null((await _kit.Mail.Scanner.ScanAsync(credentialId, RequestKind.Scan)).Error);
        var done = Assert.Single(await _kit.WaitForTicketAsync(message, TimeSpan.FromSeconds(30)));
        Assert.Equal(InboundStatus.Processed, done.Status);
        Assert.Contains(await _kit.RequestsAsync(email.Id), r => r.Kind == RequestKind.Scan && r.Log.Any(l => l.Message.StartsWith("Resuming an unfinished email", StringComparison.Ordinal)));
    }
}
