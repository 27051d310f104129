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

    private async Task<bool> AtGraphAsync(string graphSubscriptionId) =>
        (await _kit.Mail.Control.ListSubscriptionsAsync()).Any(s => s.Id.ToString() == graphSubscriptionId);

    private async Task<int> AuditedCancellationsAsync(int subscriptionId) =>
        await _kit.QueryAsync(db => db.Set<AuditEntry>().CountAsync(a => a.Action == "Subscription.Cancelled" && a.EntityId == subscriptionId.ToString()));

    [Fact]
    public async Task Switching_to_mailbox_scan_then_deleting_the_credential_each_delete_the_subscription_at_graph()
    {
        var first = await _kit.SubscribedAsync();
        Assert.True(await AtGraphAsync(first.GraphSubscriptionId));

        var credential = await _kit.QueryAsync(db => db.Set<MailboxCredential>().AsNoTracking().SingleAsync(c => c.Id == first.CredentialId));
        var input = CredentialInput.From(credential);
        input.ProcessingMethod = ProcessingMethod.MailboxScan;
        await Credentials.UpdateAsync(first.CredentialId, input, Actor.System);

        Assert.Equal(SubscriptionStatus.Cancelled, (await _kit.Subscriptions.GetAsync(first.CredentialId))!.Status);
        Assert.False(await AtGraphAsync(first.GraphSubscriptionId));
        Assert.Equal(1, await AuditedCancellationsAsync(first.Id));

        var second = await _kit.SubscribedAsync();
        Assert.NotEqual(first.GraphSubscriptionId, second.GraphSubscriptionId);
        Assert.True(await AtGraphAsync(second.GraphSubscriptionId));

        Assert.True(await Credentials.DeleteAsync(second.CredentialId, Actor.System));

        Assert.False(await AtGraphAsync(second.GraphSubscriptionId));
        Assert.Equal(1, await AuditedCancellationsAsync(second.Id));
    }
}
