using System.Collections.Concurrent;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Nodes;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions;
using Mailbox = HaloPortal.Engine.Mailboxes.Mailbox;

namespace HaloPortal.Engine.Subscriptions;

/// <summary>
/// The Graph subscription lifecycle of webhook credentials: create (after the connection test), read, cancel, and retire with
/// the credential. Renewal and lifecycle events are in <c>SubscriptionLifecycle.Renewal.cs</c>, the registration at Graph in
/// <c>SubscriptionLifecycle.Registration.cs</c>.
/// </summary>
internal sealed partial class SubscriptionLifecycle(
    IDbContextFactory<PortalDbContext> contexts,
    IGraphClients graph,
    ICredentialSecrets secrets,
    IEnumerable<IPublicAddressFallback> fallbacks,
    ICredentialConnections connections,
    SubscriptionCache cache,
    IChangeFeed feed,
    TimeProvider time,
    IOptions<WebhookOptions> options,
    IOptions<PortalOptions> portal,
    ILogger<SubscriptionLifecycle> logger) : ISubscriptions, ICredentialRetirement, IChangeTopic
{
    private const string Topic = "subscriptions";
    private readonly ConcurrentDictionary<int, SemaphoreSlim> _gates = new();

    public event Action<int>? Changed;

    string IChangeTopic.Topic => Topic;

    Task IChangeTopic.ApplyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        foreach (var credentialId in ChangeKeys.Ints(keys))
        {
            Changed?.Invoke(credentialId);
        }

        return Task.CompletedTask;
    }

    /// <summary>Raises <see cref="Changed"/> here and on the other portal nodes.</summary>
    private void RaiseChanged(int credentialId)
    {
        feed.Publish(Topic, ChangeKeys.Of(credentialId));
        Changed?.Invoke(credentialId);
    }

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
                RaiseChanged(credentialId);
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
            RaiseChanged(credentialId);
            return true;
        }
        finally
        {
            gate.Release();
        }
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

    private static string Truncate(string text) => text.Length <= 2000 ? text : text[..2000];
}
