using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Mailboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Ingestion;

/// <summary>
/// Claims: an email is worked by one node at a time. A batch first claims its emails with one conditional UPDATE (free, expired,
/// this node's, or a dead node's claims), processes only those it got, renews the claims while it runs and frees them at the end.
/// </summary>
internal sealed partial class InboundProcessor
{
    public async Task<BatchOutcome> ProcessAsync(MailboxCredential credential, Mailbox mailbox, IReadOnlyList<WorkItem> all, CancellationToken cancellationToken)
    {
        if (all.Count == 0)
        {
            return new BatchOutcome();
        }

        var ids = all.Select(i => i.EmailId).Distinct().ToList();
        var claimed = await ClaimAsync(ids, cancellationToken);
        if (claimed.Count < ids.Count)
        {
            // Another live node works them now; their requests stay pending and are closed by whoever finishes the email.
            logger.LogInformation("Mailbox {Mailbox}: {Count} email(s) are being processed by another portal node and were left to it", mailbox.Name, ids.Count - claimed.Count);
            all = all.Where(i => claimed.Contains(i.EmailId)).ToList();
            if (all.Count == 0)
            {
                return new BatchOutcome();
            }
        }

        using var stopRenewal = new CancellationTokenSource();
        var renewal = RenewClaimsAsync(claimed, stopRenewal.Token);
        try
        {
            return await ProcessClaimedAsync(credential, mailbox, all, cancellationToken);
        }
        finally
        {
            await stopRenewal.CancelAsync();
            await renewal;
            await ReleaseClaimsAsync(claimed);
        }
    }

    /// <summary>Claims what it can of <paramref name="ids"/> for this node; returns the ids it holds.</summary>
    internal async Task<HashSet<long>> ClaimAsync(List<long> ids, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var until = now + nodes.LeaseTime;
        var (me, name) = (nodes.InstanceId, nodes.Name);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await nodes.Claimable(db.Set<InboundEmail>().Where(e => ids.Contains(e.Id)), db, now)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.ClaimedBy, me).SetProperty(e => e.ClaimExpiresAt, until).SetProperty(e => e.Node, name), cancellationToken);
        return (await db.Set<InboundEmail>().Where(e => ids.Contains(e.Id) && e.ClaimedBy == me).Select(e => e.Id).ToListAsync(cancellationToken)).ToHashSet();
    }

    private async Task RenewClaimsAsync(HashSet<long> claimed, CancellationToken stop)
    {
        var me = nodes.InstanceId;
        var ids = claimed.ToList();
        try
        {
            while (true)
            {
                await Task.Delay(nodes.LeaseTime / 3, time, stop);
                try
                {
                    var until = time.GetUtcNow() + nodes.LeaseTime;
                    await using var db = await contexts.CreateDbContextAsync(stop);
                    await db.Set<InboundEmail>().Where(e => ids.Contains(e.Id) && e.ClaimedBy == me)
                        .ExecuteUpdateAsync(s => s.SetProperty(e => e.ClaimExpiresAt, until), stop);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Renewing the claims of {Count} email(s) failed; trying again", ids.Count);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task ReleaseClaimsAsync(HashSet<long> claimed)
    {
        var me = nodes.InstanceId;
        var ids = claimed.ToList();
        try
        {
            await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
            await db.Set<InboundEmail>().Where(e => ids.Contains(e.Id) && e.ClaimedBy == me)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.ClaimedBy, (string?)null).SetProperty(e => e.ClaimExpiresAt, (DateTimeOffset?)null), CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The claims expire by themselves.
            logger.LogWarning(ex, "Releasing the claims of {Count} email(s) failed; they expire by themselves", ids.Count);
        }
    }
}
