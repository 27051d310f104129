using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Subscriptions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Subscriptions;

/// <summary>A credential that stops using webhooks takes its Graph subscription with it, instead of leaving Graph to notify nobody.</summary>
public sealed class SubscriptionRetirementTests(WebhookPortalFactory app) : IClassFixture<WebhookPortalFactory>
{
    private readonly WebhookKit _kit = new(app);

    private ICredentials Credentials => app.Services.GetRequiredService<ICredentials>();

    [Fact]
    public async Task Switching_to_mailbox_scan_then_deleting_the_credential_each_delete_the_subscription_at_graph()
    {
        var first = await _kit.SubscribedAsync();
        Assert.True(await _kit.AtGraphAsync(first.GraphSubscriptionId));

        var credential = await _kit.QueryAsync(db => db.Set<MailboxCredential>().AsNoTracking().SingleAsync(c => c.Id == first.CredentialId));
        var input = CredentialInput.From(credential);
        input.ProcessingMethod = ProcessingMethod.MailboxScan;
        await Credentials.UpdateAsync(first.CredentialId, input, Actor.System);

        Assert.Equal(SubscriptionStatus.Cancelled, (await _kit.Subscriptions.GetAsync(first.CredentialId))!.Status);
        Assert.False(await _kit.AtGraphAsync(first.GraphSubscriptionId));
        Assert.Equal(1, await _kit.AuditedCancellationsAsync(first.Id));

        var second = await _kit.SubscribedAsync();
        Assert.NotEqual(first.GraphSubscriptionId, second.GraphSubscriptionId);
        Assert.True(await _kit.AtGraphAsync(second.GraphSubscriptionId));

        Assert.True(await Credentials.DeleteAsync(second.CredentialId, Actor.System));

        Assert.False(await _kit.AtGraphAsync(second.GraphSubscriptionId));
        Assert.Equal(1, await _kit.AuditedCancellationsAsync(second.Id));
    }
}

/// <summary>On its own portal with a fake clock (the other class deletes the demo credential).</summary>
public sealed class SubscriptionRetirementFallbackTests(FakeClockWebhookFactory app) : IClassFixture<FakeClockWebhookFactory>
{
    private readonly WebhookKit _kit = new(app);

    private ICredentials Credentials => app.Services.GetRequiredService<ICredentials>();

    [Fact]
    public async Task When_graph_cannot_be_told_the_subscription_is_cancelled_here_and_the_switch_still_happens()
    {
        var subscription = await _kit.SubscribedAsync();
        var id = subscription.CredentialId;
        var credential = await _kit.QueryAsync(db => db.Set<MailboxCredential>().AsNoTracking().SingleAsync(c => c.Id == id));
        var input = CredentialInput.From(credential);
        input.ClientSecret = "a-wrong-secret-value-entered-by-mistake";
        await Credentials.UpdateAsync(id, input, Actor.System); // a new secret of the same app keeps the subscription
        Assert.Equal(SubscriptionStatus.Active, (await _kit.Subscriptions.GetAsync(id))!.Status);
        app.Clock.Advance(TimeSpan.FromHours(2)); // the cached access token expires: a new one is needed, and refused
        try
        {
            input.ClientSecret = null;
            input.ProcessingMethod = ProcessingMethod.MailboxScan;
            await Credentials.UpdateAsync(id, input, Actor.System); // Graph refuses the token: nothing can be deleted there

            Assert.Equal(SubscriptionStatus.Cancelled, (await _kit.Subscriptions.GetAsync(id))!.Status);
            Assert.Equal(1, await _kit.AuditedCancellationsAsync(subscription.Id));
            Assert.True(await _kit.AtGraphAsync(subscription.GraphSubscriptionId)); // it lapses there at its expiry
            Assert.Equal(ProcessingMethod.MailboxScan, await _kit.QueryAsync(db => db.Set<MailboxCredential>().Where(c => c.Id == id).Select(c => c.ProcessingMethod).SingleAsync()));
        }
        finally
        {
            input.ClientSecret = _kit.Mail.Demo.ClientSecret;
            await Credentials.UpdateAsync(id, input, Actor.System);
        }
    }
}
