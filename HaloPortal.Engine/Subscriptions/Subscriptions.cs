using System.Collections.Concurrent;
using System.Security.Cryptography;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Identity;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions;
using Mailbox = HaloPortal.Engine.Mailboxes.Mailbox;

namespace HaloPortal.Engine.Subscriptions;

internal sealed class Subscriptions(
    IDbContextFactory<PortalDbContext> contexts,
    IGraphClients graph,
    ICredentialSecrets secrets,
    IEnumerable<IPublicAddressFallback> fallbacks,
    ICredentialConnections connections,
    SubscriptionCache cache,
    TimeProvider time,
    IOptions<WebhookOptions> options,
    IOptions<PortalOptions> portal,
    ILogger<Subscriptions> logger) : ISubscriptions, ICredentialRetirement
{
    public const string NotificationsPath = "/api/graph/notifications";
    public const string LifecyclePath = "/api/graph/lifecycle";

    private readonly ConcurrentDictionary<int, SemaphoreSlim> _gates = new();

    public event Action<int>? Changed;

    private WebhookOptions Options => options.Value;

    public async Task<SubscriptionView?> GetAsync(int credentialId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var subscription = await db.Set<GraphSubscription>().AsNoTracking()
            .Where(s => s.CredentialId == credentialId)
            .OrderBy(s => s.Status == SubscriptionStatus.Cancelled ? 1 : 0).ThenByDescending(s => s.Id)
            .FirstOrDefaultAsync(cancellationToken);
        return subscription is null ? null : await ViewAsync(db, subscription, cancellationToken);
    }

    public async Task<SubscriptionView> CreateAsync(int credentialId, Actor actor, CancellationToken cancellationToken = default)
    {
        var gate = Gate(credentialId);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var (credential, mailbox) = await LoadAsync(credentialId, cancellationToken);
            if (credential.ProcessingMethod != ProcessingMethod.Webhooks)
            {
                throw new ArgumentException("This credential processes mail by mailbox scan. Edit it and choose Processing method: Webhooks first.", "processingMethod");
            }

            if (credential.AuthMethod == AuthMethod.AuthorizationCode && credential.HomeAccountId is null)
            {
                throw new ArgumentException("Nobody is signed in with this credential: click Authorize / Sign in first.", "credential");
            }

            _ = PublicBaseUrl(credential); // a missing notification address is refused before anything is asked of Graph

            // A subscription is only as good as the connection under it: test it first, so an Active subscription never sits
            // beside a credential that cannot read the mailbox (and the credential's status is fresh either way).
            var test = await connections.TestAsync(credentialId, cancellationToken);
            if (!test.Ok)
            {
                throw new CredentialException(test.Error! with
                {
                    Message = $"Test connection failed, so no subscription was created: {test.Error!.Message}",
                });
            }

            (credential, mailbox) = await LoadAsync(credentialId, cancellationToken);
            if (credential.TargetAddress is null)
            {
                throw new ArgumentException("The credential is not connected yet: test the connection first.", "credential");
            }

            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                if (await db.Set<GraphSubscription>().AnyAsync(s => s.CredentialId == credentialId && s.Status != SubscriptionStatus.Cancelled, cancellationToken))
                {
                    throw new InvalidOperationException("This credential already has a subscription. Cancel it first to create a new one.");
                }
            }

            var (subscription, note) = await RegisterAsync(credential, mailbox, cancellationToken);
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                db.Add(subscription);
                await db.SaveChangesAsync(cancellationToken);
                db.Audit(time, actor, "Subscription.Created", "GraphSubscription", subscription.Id.ToString(), null,
                    new { subscription.CredentialId, subscription.GraphSubscriptionId, subscription.Resource, subscription.NotificationUrl, subscription.ExpiresAt });
                await ClearErrorAsync(db, credentialId, cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                cache.Put(subscription, mailbox.Id);
                Changed?.Invoke(credentialId);
                return (await ViewAsync(db, subscription, cancellationToken)) with { Note = note };
            }
        }
        finally
        {
            gate.Release();
        }
    }

    public Task<bool> CancelAsync(int credentialId, Actor actor, CancellationToken cancellationToken = default) =>
        CancelAsync(credentialId, actor, atGraph: true, cancellationToken);

    public async Task RetiringAsync(int credentialId, string reason, Actor actor, CancellationToken cancellationToken)
    {
        try
        {
            if (await CancelAsync(credentialId, actor, atGraph: true, cancellationToken))
            {
                logger.LogInformation("Subscription of credential {CredentialId} deleted at Graph: {Reason}", credentialId, reason);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Graph could not be told (unreachable, or the grant is already gone): the subscription is cancelled here, its
            // notifications are refused as cancelled, and Graph drops it when it expires.
            logger.LogWarning("Could not delete the subscription of credential {CredentialId} at Graph ({Reason}): {Error}", credentialId, reason, ex.Message);
            await CancelAsync(credentialId, actor, atGraph: false, cancellationToken);
        }
    }

    /// <summary>Marks the credential's subscriptions cancelled, deleting them at Graph first when <paramref name="atGraph"/>.</summary>
    private async Task<bool> CancelAsync(int credentialId, Actor actor, bool atGraph, CancellationToken cancellationToken)
    {
        var gate = Gate(credentialId);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var (credential, mailbox) = await LoadAsync(credentialId, cancellationToken);
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var subscriptions = await db.Set<GraphSubscription>().Where(s => s.CredentialId == credentialId && s.Status != SubscriptionStatus.Cancelled).ToListAsync(cancellationToken);
            if (subscriptions.Count == 0)
            {
                return false;
            }

            foreach (var subscription in subscriptions)
            {
                try
                {
                    if (atGraph)
                    {
                        await CallAsync(credential, client => client.Subscriptions[subscription.GraphSubscriptionId].DeleteAsync(cancellationToken: cancellationToken));
                    }
                }
                catch (CredentialException ex) when (IsNotFound(ex))
                {
                    // Already gone at Graph (expired or removed): cancelling it here is all that is left.
                }

                subscription.Status = SubscriptionStatus.Cancelled;
                subscription.CancelledAt = time.GetUtcNow();
                db.Audit(time, actor, "Subscription.Cancelled", "GraphSubscription", subscription.Id.ToString(), new { subscription.GraphSubscriptionId }, null);
                cache.Put(subscription, mailbox.Id);
            }

            await db.SaveChangesAsync(cancellationToken);
            Changed?.Invoke(credentialId);
            return true;
        }
        finally
        {
            gate.Release();
        }
    }

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

        Changed?.Invoke(credential.Id);
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
            Changed?.Invoke(credential.Id);
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
            Changed?.Invoke(credential.Id);
            throw;
        }
    }

    /// <summary>Creates the subscription at Graph (Graph runs the validation handshake against our receiver first).</summary>
    private async Task<(GraphSubscription Subscription, string? Note)> RegisterAsync(MailboxCredential credential, Mailbox mailbox, CancellationToken cancellationToken)
    {
        var (baseUrl, note) = PublicBaseUrl(credential);
        var notificationUrl = baseUrl + NotificationsPath;
        var resource = $"users/{credential.TargetAddress}/mailFolders('{mailbox.SourceFolder}')/messages";
        var clientState = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = time.GetUtcNow();
        Microsoft.Graph.Models.Subscription? created;
        try
        {
            created = await CallAsync(credential, client => client.Subscriptions.PostAsync(new Microsoft.Graph.Models.Subscription
            {
                ChangeType = "created",
                NotificationUrl = notificationUrl,
                LifecycleNotificationUrl = baseUrl + LifecyclePath,
                Resource = resource,
                ExpirationDateTime = now + Options.Lifetime,
                ClientState = clientState,
            }, cancellationToken: cancellationToken));
        }
        catch (CredentialException ex) when (ex.InnerException is ApiException { ResponseStatusCode: 400 } && ex.Error.Message.Contains("validation", StringComparison.OrdinalIgnoreCase))
        {
            var known = KnownErrors.Find("SubscriptionValidationFailed")!;
            logger.LogWarning("Graph could not validate {Url}: {Message}", notificationUrl, ex.Error.Message);
            throw new CredentialException(known with
            {
                Message = $"{known.Message.Replace("{url}", notificationUrl, StringComparison.Ordinal)} Graph said: {ex.Error.Message}",
                Fix = known.Fix.Replace("{url}", notificationUrl, StringComparison.Ordinal),
            }, ex);
        }

        if (note is not null)
        {
            logger.LogInformation("{Note}", note);
        }

        return (new GraphSubscription
        {
            CredentialId = credential.Id,
            GraphSubscriptionId = created?.Id ?? throw new CredentialException(KnownErrors.Unknown("NoSubscriptionId", "Graph created the subscription but returned no id.")),
            Resource = created.Resource ?? resource,
            ChangeType = created.ChangeType ?? "created",
            NotificationUrl = notificationUrl,
            ExpiresAt = created.ExpirationDateTime ?? now + Options.Lifetime,
            ClientStateProtected = secrets.Protect(clientState),
            Status = SubscriptionStatus.Active,
            CreatedAt = now,
        }, note);
    }

    /// <summary>Portal:PublicBaseUrl; when it is not set, an authority's fallback (the sandbox: the server's own listening address).</summary>
    private (string BaseUrl, string? Note) PublicBaseUrl(MailboxCredential credential)
    {
        if (!string.IsNullOrWhiteSpace(portal.Value.PublicBaseUrl))
        {
            return (portal.Value.PublicBaseUrl.TrimEnd('/'), null);
        }

        if (fallbacks.Select(f => f.For(credential.Authority)).FirstOrDefault(a => a is not null) is { } fallback)
        {
            return (fallback.BaseUrl, fallback.Note);
        }

        var missing = KnownErrors.Find("PublicBaseUrlMissing")!;
        throw new CredentialException(missing);
    }

    /// <summary>A Graph call with its failures catalogued (a refused token is renewed once by the client pipeline).</summary>
    private Task<T> CallAsync<T>(MailboxCredential credential, Func<GraphServiceClient, Task<T>> call)
    {
        var client = graph.For(credential);
        return GraphCall.RunAsync(() => call(client));
    }

    private Task CallAsync(MailboxCredential credential, Func<GraphServiceClient, Task> call) =>
        CallAsync(credential, async client =>
        {
            await call(client);
            return true;
        });

    private async Task<(MailboxCredential Credential, Mailbox Mailbox)> LoadAsync(int credentialId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var credential = await db.Set<MailboxCredential>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == credentialId, cancellationToken)
            ?? throw new KeyNotFoundException($"Credential {credentialId} does not exist.");
        var mailbox = await db.Set<Mailbox>().AsNoTracking().SingleAsync(m => m.Id == credential.MailboxId, cancellationToken);
        return (credential, mailbox);
    }

    private static async Task ClearErrorAsync(PortalDbContext db, int credentialId, CancellationToken cancellationToken)
    {
        var row = await db.Set<MailboxCredential>().SingleAsync(c => c.Id == credentialId, cancellationToken);
        if (row.LastErrorCode is "SubscriptionValidationFailed" or "PublicBaseUrlMissing" || row.LastErrorMessage?.Contains("subscription", StringComparison.OrdinalIgnoreCase) == true)
        {
            row.LastErrorCode = null;
            row.LastErrorMessage = null;
            row.LastErrorAt = null;
        }
    }

    private async Task<SubscriptionView> ViewAsync(PortalDbContext db, GraphSubscription s, CancellationToken cancellationToken)
    {
        var renewals = await db.Set<SubscriptionRenewal>().AsNoTracking().Where(r => r.SubscriptionId == s.Id)
            .OrderByDescending(r => r.Id).Take(20)
            .Select(r => new RenewalView(r.At, r.Trigger, r.Succeeded, r.PreviousExpiry, r.NewExpiry, r.ErrorCode, r.Error))
            .ToListAsync(cancellationToken);
        return new SubscriptionView(s.Id, s.CredentialId, s.GraphSubscriptionId, s.Resource, s.ChangeType, s.NotificationUrl, s.ExpiresAt, s.Status,
            s.LastNotificationAt, s.CreatedAt, s.RenewalFailures, renewals);
    }

    private SemaphoreSlim Gate(int credentialId) => _gates.GetOrAdd(credentialId, _ => new SemaphoreSlim(1, 1));

    private static bool IsNotFound(CredentialException ex) => ex.InnerException is ApiException { ResponseStatusCode: 404 };

    /// <summary>5, 15, 45 minutes… capped at 6 hours (well inside the 2-day renewal window).</summary>
    internal static TimeSpan RetryDelay(int failures, TimeSpan? retryAfter) =>
        retryAfter ?? TimeSpan.FromMinutes(Math.Min(5 * Math.Pow(3, Math.Max(0, failures - 1)), 360));

    private static string Truncate(string text) => text.Length <= 2000 ? text : text[..2000];
}
