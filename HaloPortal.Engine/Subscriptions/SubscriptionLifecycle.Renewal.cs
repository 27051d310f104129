using System.Security.Cryptography;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions;
using Mailbox = HaloPortal.Engine.Mailboxes.Mailbox;

namespace HaloPortal.Engine.Subscriptions;

/// <summary>Renewal before expiry (with back-off on failure), recreation when Graph lost a subscription, and lifecycle events.</summary>
internal sealed partial class SubscriptionLifecycle
{
    public async Task<SubscriptionView?> RenewIfDueAsync(int credentialId, RenewalTrigger trigger, CancellationToken cancellationToken = default)
    {
        var gate = Gate(credentialId);
        await gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var subscription = await db.Set<GraphSubscription>().AsNoTracking()
                .Where(s => s.CredentialId == credentialId && s.Status != SubscriptionStatus.Cancelled)
                .OrderByDescending(s => s.Id).FirstOrDefaultAsync(cancellationToken);
            if (subscription is null)
            {
                return null;
            }

            var now = time.GetUtcNow();
            var due = subscription.ExpiresAt - now <= Options.RenewWindow && (subscription.NextRenewalAttemptAt is null || subscription.NextRenewalAttemptAt <= now);
            if (due)
            {
                subscription = await RenewAsync(subscription.Id, trigger, cancellationToken);
            }

            return subscription is null ? null : await ViewAsync(db, subscription, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<int> RenewAllDueAsync(CancellationToken cancellationToken = default)
    {
        List<int> credentialIds;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var here = portal.Value.Instance;
            credentialIds = await (from s in db.Set<GraphSubscription>()
                                   join c in db.Set<MailboxCredential>() on s.CredentialId equals c.Id
                                   where s.Status != SubscriptionStatus.Cancelled && c.Instance == here
                                   select s.CredentialId).Distinct().ToListAsync(cancellationToken);
        }

        var renewed = 0;
        foreach (var id in credentialIds)
        {
            try
            {
                var before = time.GetUtcNow();
                if (await RenewIfDueAsync(id, RenewalTrigger.Scheduler, cancellationToken) is { } view && view.Renewals.FirstOrDefault() is { Succeeded: true } last && last.At >= before)
                {
                    renewed++;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Renewing the subscription of credential {CredentialId} failed", id);
            }
        }

        return renewed;
    }

    /// <summary>reauthorizationRequired: renew now. subscriptionRemoved: recreate. Returns what was done, for the request log.</summary>
    internal async Task<string> HandleLifecycleAsync(int subscriptionId, string lifecycleEvent, CancellationToken cancellationToken)
    {
        GraphSubscription? subscription;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            subscription = await db.Set<GraphSubscription>().AsNoTracking().SingleOrDefaultAsync(s => s.Id == subscriptionId, cancellationToken);
        }

        if (subscription is null || subscription.Status == SubscriptionStatus.Cancelled)
        {
            return "The subscription was cancelled here meanwhile; nothing to do.";
        }

        var gate = Gate(subscription.CredentialId);
        await gate.WaitAsync(cancellationToken);
        try
        {
            switch (lifecycleEvent)
            {
                case "reauthorizationRequired":
                    var renewed = await RenewAsync(subscriptionId, RenewalTrigger.Lifecycle, cancellationToken);
                    return renewed?.Status == SubscriptionStatus.Cancelled
                        ? "Graph no longer knew the subscription: it was recreated."
                        : renewed?.RenewalFailures > 0
                            ? "Reauthorisation (renewal) failed; it is retried with back-off."
                            : $"Reauthorised: renewed until {renewed?.ExpiresAt:u}.";
                case "subscriptionRemoved":
                    var replacement = await RecreateAsync(subscriptionId, RenewalTrigger.Lifecycle, "Graph removed the subscription", cancellationToken);
                    return $"Graph removed the subscription; recreated as {replacement.GraphSubscriptionId} (expires {replacement.ExpiresAt:u}).";
                default:
                    return $"Lifecycle event '{lifecycleEvent}' needs no change to the subscription.";
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Renews one subscription now; on Graph's 404 recreates it; on other failures backs off and, after the last try, marks it Failed.</summary>
    private async Task<GraphSubscription?> RenewAsync(int subscriptionId, RenewalTrigger trigger, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var subscription = await db.Set<GraphSubscription>().SingleOrDefaultAsync(s => s.Id == subscriptionId, cancellationToken);
        if (subscription is null || subscription.Status == SubscriptionStatus.Cancelled)
        {
            return subscription;
        }

        var (credential, mailbox) = await LoadAsync(subscription.CredentialId, cancellationToken);
        var now = time.GetUtcNow();
        var previous = subscription.ExpiresAt;
        try
        {
            var renewed = await CallAsync(credential, client => client.Subscriptions[subscription.GraphSubscriptionId]
                .PatchAsync(new Microsoft.Graph.Models.Subscription { ExpirationDateTime = now + Options.Lifetime }, cancellationToken: cancellationToken));
            subscription.ExpiresAt = renewed?.ExpirationDateTime ?? now + Options.Lifetime;
            var recovered = subscription.Status == SubscriptionStatus.Failed;
            subscription.Status = SubscriptionStatus.Active;
            subscription.RenewalFailures = 0;
            subscription.NextRenewalAttemptAt = null;
            db.Add(new SubscriptionRenewal { SubscriptionId = subscription.Id, At = now, Trigger = trigger.ToString(), Succeeded = true, PreviousExpiry = previous, NewExpiry = subscription.ExpiresAt });
            if (recovered)
            {
                await ClearErrorAsync(db, credential.Id, cancellationToken);
            }

            await db.SaveChangesAsync(cancellationToken);
            cache.Put(subscription, mailbox.Id);
            logger.LogInformation("Renewed subscription {SubscriptionId} of credential {CredentialId} until {Expiry:u} ({Trigger})", subscription.GraphSubscriptionId, credential.Id, subscription.ExpiresAt, trigger);
        }
        catch (CredentialException ex) when (IsNotFound(ex))
        {
            logger.LogWarning("Subscription {SubscriptionId} is gone at Graph; recreating it", subscription.GraphSubscriptionId);
            await RecreateAsync(subscription.Id, trigger, "Graph no longer knew the subscription when renewing it", cancellationToken);
            await db.Entry(subscription).ReloadAsync(cancellationToken);
        }
        catch (CredentialException ex)
        {
            subscription.RenewalFailures++;
            var error = ex.Error;
            db.Add(new SubscriptionRenewal { SubscriptionId = subscription.Id, At = now, Trigger = trigger.ToString(), Succeeded = false, PreviousExpiry = previous, ErrorCode = error.Code, Error = Truncate(error.Message) });
            if (subscription.RenewalFailures >= Options.MaxRenewalAttempts)
            {
                subscription.Status = SubscriptionStatus.Failed;
                var row = await db.Set<MailboxCredential>().SingleAsync(c => c.Id == credential.Id, cancellationToken);
                row.LastErrorCode = error.Code;
                row.LastErrorMessage = $"The webhook subscription could not be renewed ({subscription.RenewalFailures} tries): {error.Message}";
                row.LastErrorAt = now;
                logger.LogError("Subscription {SubscriptionId} of credential {CredentialId} failed to renew {Count} times: {Code}", subscription.GraphSubscriptionId, credential.Id, subscription.RenewalFailures, error.Code);
            }

            // Keeps trying (the safety scan still reads the mailbox meanwhile), less often each time.
            subscription.NextRenewalAttemptAt = now + RetryDelay(subscription.RenewalFailures, ex.RetryAfter);
            await db.SaveChangesAsync(cancellationToken);
            cache.Put(subscription, mailbox.Id);
        }

        RaiseChanged(credential.Id);
        return subscription;
    }

    /// <summary>Replaces a subscription Graph removed (or forgot): the old one is marked cancelled, a new one registered.</summary>
    private async Task<GraphSubscription> RecreateAsync(int subscriptionId, RenewalTrigger trigger, string reason, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var old = await db.Set<GraphSubscription>().SingleAsync(s => s.Id == subscriptionId, cancellationToken);
        var (credential, mailbox) = await LoadAsync(old.CredentialId, cancellationToken);
        var now = time.GetUtcNow();
        old.Status = SubscriptionStatus.Cancelled;
        old.CancelledAt = now;
        try
        {
            var (replacement, _) = await RegisterAsync(credential, mailbox, cancellationToken);
            db.Add(replacement);
            db.Add(new SubscriptionRenewal
            {
                SubscriptionId = old.Id, At = now, Trigger = trigger.ToString(), Succeeded = true, PreviousExpiry = old.ExpiresAt, NewExpiry = replacement.ExpiresAt,
                Error = $"{reason}; recreated as {replacement.GraphSubscriptionId}.",
            });
            await db.SaveChangesAsync(cancellationToken);
            db.Add(new SubscriptionRenewal
            {
                SubscriptionId = replacement.Id, At = now, Trigger = trigger.ToString(), Succeeded = true, PreviousExpiry = null, NewExpiry = replacement.ExpiresAt,
                Error = $"Replaces {old.GraphSubscriptionId} ({reason.ToLowerInvariant()}).",
            });
            db.Audit(time, Actor.System, "Subscription.Recreated", "GraphSubscription", replacement.Id.ToString(), new { old.GraphSubscriptionId }, new { replacement.GraphSubscriptionId, replacement.ExpiresAt });
            await db.SaveChangesAsync(cancellationToken);
            cache.Put(old, mailbox.Id);
            cache.Put(replacement, mailbox.Id);
            RaiseChanged(credential.Id);
            return replacement;
        }
        catch (CredentialException ex)
        {
            // Cannot recreate now: keep the old row as Failed so the scheduler retries, and show the error on the credential.
            old.Status = SubscriptionStatus.Failed;
            old.CancelledAt = null;
            old.RenewalFailures++;
            old.NextRenewalAttemptAt = now + RetryDelay(old.RenewalFailures, ex.RetryAfter);
            db.Add(new SubscriptionRenewal { SubscriptionId = old.Id, At = now, Trigger = trigger.ToString(), Succeeded = false, PreviousExpiry = old.ExpiresAt, ErrorCode = ex.Error.Code, Error = Truncate($"{reason}; recreating failed: {ex.Error.Message}") });
            var row = await db.Set<MailboxCredential>().SingleAsync(c => c.Id == credential.Id, cancellationToken);
            row.LastErrorCode = ex.Error.Code;
            row.LastErrorMessage = $"{reason}, and it could not be recreated: {ex.Error.Message}";
            row.LastErrorAt = now;
            await db.SaveChangesAsync(cancellationToken);
            cache.Put(old, mailbox.Id);
            RaiseChanged(credential.Id);
            throw;
        }
    }

    /// <summary>5, 15, 45 minutes… capped at 6 hours (well inside the 2-day renewal window).</summary>
    internal static TimeSpan RetryDelay(int failures, TimeSpan? retryAfter) =>
        retryAfter ?? TimeSpan.FromMinutes(Math.Min(5 * Math.Pow(3, Math.Max(0, failures - 1)), 360));
}
