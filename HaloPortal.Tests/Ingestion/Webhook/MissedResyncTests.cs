using System.Text;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Subscriptions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Ingestion.Webhook;

/// <summary>
/// A "missed" lifecycle event runs a catch-up delta; when Graph has meanwhile dropped the delta sync state (410 SyncStateNotFound)
/// the catch-up resyncs the folder from scratch, finds the lost mail once, makes no second ticket for mail already handled
/// (left in the folder by "mark read"), and the lifecycle request's log says it was a resync.
/// </summary>
public sealed class MissedResyncTests(WebhookPortalFactory app) : IClassFixture<WebhookPortalFactory>
{
    private readonly WebhookKit _kit = new(app);

    private ISandboxControl Sandbox => _kit.Mail.Control;

    [Fact]
    public async Task A_missed_event_after_the_delta_state_expired_resyncs_and_ingests_the_lost_mail_once()
    {
        var mailboxes = app.Services.GetRequiredService<IMailboxes>();
        var incoming = (await mailboxes.GetAsync(SandboxMail.DemoMailboxId))!.Incoming;
        await mailboxes.UpdateIncomingAsync(SandboxMail.DemoMailboxId, incoming with { ProcessedAction = ProcessedMailAction.MarkRead }, Actor.System);
        var subscription = await _kit.SubscribedAsync();
        var first = await _kit.DeliverAsync("Resync: notified normally");
        Assert.Single(await _kit.WaitForTicketAsync(first));
        // A scan saves the delta link that Graph will then forget.
        Assert.Null((await _kit.Mail.ImportAsync()).Error);

        await Sandbox.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.DropNotifications, Count: 1));
        var lost = await _kit.DeliverAsync("Resync: notification lost");
        await Sandbox.AddFaultAsync(new SandboxFaultRequest(_kit.Mail.Demo.SharedMailbox, SandboxFaultKind.ExpireDeltaTokens));
        await Sandbox.TriggerLifecycleEventAsync(Guid.Parse(subscription.GraphSubscriptionId), SandboxLifecycleEvent.Missed);

        var request = await MissedRequestAsync();
        Assert.Equal(RequestOutcome.Succeeded, request.Outcome);
        Assert.Contains(request.Log, l => l.Message.Contains("resynced from scratch"));
        Assert.Equal(RequestKind.Lifecycle, Assert.Single(await _kit.WaitForTicketAsync(lost)).FoundBy);
        Assert.Single(await _kit.EmailsAsync(first));
        // The mail handled before is in the folder (mark read) and came back in the resync: it was skipped, not processed again.
        var firstId = (await _kit.EmailsAsync(first)).Single().Id;
        Assert.Equal(0, await _kit.QueryAsync(db => db.Set<InboundRequest>().CountAsync(r => r.InboundEmailId == firstId && r.Kind == RequestKind.Lifecycle)));
        Assert.Empty(await Sandbox.ListFaultsAsync());
    }

    private async Task<InboundRequest> MissedRequestAsync()
    {
        InboundRequest? found = null;
        await WebhookKit.WaitAsync(async () =>
        {
            var requests = await _kit.QueryAsync(db => db.Set<InboundRequest>().AsNoTracking().Where(r => r.Kind == RequestKind.Lifecycle && r.InboundEmailId == null && r.Outcome != RequestOutcome.Pending).ToListAsync());
            found = requests.LastOrDefault(r => Encoding.UTF8.GetString(r.RawData ?? []).Contains("\"missed\""));
            return found is not null;
        }, TimeSpan.FromSeconds(30), "missed lifecycle event handled");
        return found!;
    }
}
