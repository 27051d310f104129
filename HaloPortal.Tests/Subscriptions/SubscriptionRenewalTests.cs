using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Engine.Tokens;
using HaloPortal.Sandbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Subscriptions;

/// <summary>Renewal by the injected clock: 30 simulated days without a lapse; failures back off and end in Failed with the error shown.</summary>
public sealed class SubscriptionRenewalTests(FakeClockWebhookFactory app) : IClassFixture<FakeClockWebhookFactory>
{
    private readonly WebhookKit _kit = new(app);

    private ISandboxControl Sandbox => _kit.Mail.Control;

    [Fact]
    public async Task Thirty_simulated_days_of_scheduled_renewals_leave_no_subscription_lapsed()
    {
        var subscription = await _kit.SubscribedAsync();
        var start = app.Clock.GetUtcNow();
        var lapsed = 0;

        for (var hour = 1; hour <= 30 * 24; hour++)
        {
            app.Clock.Advance(TimeSpan.FromHours(1));
            await _kit.Subscriptions.RenewAllDueAsync();
            var now = app.Clock.GetUtcNow();
            var current = (await _kit.Subscriptions.GetAsync(subscription.CredentialId))!;
            var atGraph = (await Sandbox.ListSubscriptionsAsync()).SingleOrDefault(s => s.Id.ToString() == current.GraphSubscriptionId);
            if (atGraph is null || atGraph.ExpirationDateTime <= now || current.ExpiresAt <= now)
            {
                lapsed++;
            }
        }

        Assert.Equal(0, lapsed);
        var final = (await _kit.Subscriptions.GetAsync(subscription.CredentialId))!;
        Assert.Equal(subscription.GraphSubscriptionId, final.GraphSubscriptionId);
        Assert.Equal(SubscriptionStatus.Active, final.Status);
        var renewals = final.Renewals.Where(r => r.At > start).OrderBy(r => r.At).ToList();
        // 7-day lifetime renewed when 2 days remain: every 5 days, exactly at the hour the window opens.
        Assert.Equal(Enumerable.Range(1, 6).Select(i => start.AddDays(5 * i)), renewals.Select(r => r.At));
        Assert.All(renewals, r => Assert.True(r.Succeeded));
        Assert.All(renewals, r => Assert.Equal(r.At.AddMinutes(10_080), r.NewExpiry));
        Assert.Equal(renewals[^1].NewExpiry, final.ExpiresAt);
    }

    [Fact]
    public async Task A_renewal_that_keeps_failing_backs_off_then_marks_the_subscription_Failed_with_the_catalogued_error()
    {
        var subscription = await _kit.SubscribedAsync();
        var credentialId = subscription.CredentialId;
        var credentials = app.Services.GetRequiredService<ICredentials>();
        var demo = _kit.Mail.Demo;
        await SetSecretAsync("wrong-secret-value-for-the-test");
        try
        {
            // Into the renewal window (the access token expires on the fake clock too, so a new one is needed: refused).
            var expiry = (await _kit.Subscriptions.GetAsync(credentialId))!.ExpiresAt;
            app.Clock.SetUtcNow(expiry.AddDays(-2));

            var first = await _kit.Subscriptions.RenewIfDueAsync(credentialId, RenewalTrigger.Scheduler);
            Assert.Equal(SubscriptionStatus.Active, first!.Status);
            Assert.Equal(1, first.RenewalFailures);
            Assert.Equal("AADSTS7000215", first.Renewals[0].ErrorCode);

            Assert.Equal(1, (await _kit.Subscriptions.RenewIfDueAsync(credentialId, RenewalTrigger.Scheduler))!.RenewalFailures); // backing off: not retried yet
            app.Clock.Advance(TimeSpan.FromMinutes(5));
            Assert.Equal(2, (await _kit.Subscriptions.RenewIfDueAsync(credentialId, RenewalTrigger.Scheduler))!.RenewalFailures);
            app.Clock.Advance(TimeSpan.FromMinutes(15));
            var failed = (await _kit.Subscriptions.RenewIfDueAsync(credentialId, RenewalTrigger.Scheduler))!;

            Assert.Equal(SubscriptionStatus.Failed, failed.Status);
            Assert.Equal(3, failed.RenewalFailures);
            var shown = (await credentials.GetAsync(credentialId))!;
            Assert.Equal("AADSTS7000215", shown.LastError!.Code);
            Assert.Contains("could not be renewed (3 tries)", shown.LastError.Message);
            Assert.Contains("Value (not the Secret ID)", shown.LastError.Fix);
        }
        finally
        {
            await SetSecretAsync(demo.ClientSecret);
        }

        // Fixed: the next attempt after the back-off renews it and clears the error.
        app.Clock.Advance(TimeSpan.FromMinutes(45));
        var recovered = (await _kit.Subscriptions.RenewIfDueAsync(credentialId, RenewalTrigger.Scheduler))!;
        Assert.Equal(SubscriptionStatus.Active, recovered.Status);
        Assert.Equal(app.Clock.GetUtcNow().AddMinutes(10_080), recovered.ExpiresAt);
        Assert.Null((await credentials.GetAsync(credentialId))!.LastError);

        async Task SetSecretAsync(string secret)
        {
            var entity = await _kit.QueryAsync(db => db.Set<MailboxCredential>().AsNoTracking().SingleAsync(c => c.Id == credentialId));
            var input = CredentialInput.From(entity);
            input.ClientSecret = secret;
            await credentials.UpdateAsync(credentialId, input, Actor.System);
        }
    }

    [Fact]
    public async Task Without_a_public_address_the_sandbox_falls_back_to_the_servers_own_and_a_real_tenant_is_refused_with_the_fix()
    {
        var subscription = await _kit.SubscribedAsync();
        Assert.StartsWith("http://127.0.0.1:", subscription.NotificationUrl);

        var mailboxes = app.Services.GetRequiredService<HaloPortal.Engine.Mailboxes.IMailboxes>();
        var mailbox = await mailboxes.CreateAsync("Real tenant", HaloPortal.Engine.Mailboxes.MailboxConnectionType.Office365Azure, Actor.System);
        var credential = await app.Services.GetRequiredService<ICredentials>().CreateAsync(mailbox.Id, new CredentialInput
        {
            ProcessingMethod = ProcessingMethod.Webhooks,
            Authority = GraphAuthority.Global,
            TenantId = Guid.NewGuid().ToString(),
            ClientId = Guid.NewGuid().ToString(),
            ClientSecret = "Abc8Q~generated.for.test.only.0123456789",
            SecretExpiresAt = app.Clock.GetUtcNow().AddYears(1),
            EmailAddress = "support@contoso.example",
        }, Actor.System);

        var ex = await Assert.ThrowsAsync<CredentialException>(() => _kit.Subscriptions.CreateAsync(credential.Id, Actor.System));

        Assert.Equal("PublicBaseUrlMissing", ex.Error.Code);
        Assert.Contains("Portal:PublicBaseUrl", ex.Error.Fix);
    }
}
