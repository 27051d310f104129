using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Graph;

/// <summary>
/// Stores the end of a 429's Retry-After on the credential (<see cref="MailboxCredential.ThrottledUntil"/>), so every node
/// sharing the database shows the mailbox throttled, not only the one Graph answered. It is bookkeeping for Monitoring: one
/// conditional UPDATE that only moves the time later, bounded by <see cref="Timeout"/>, and a failure is logged, never thrown.
/// </summary>
internal sealed class CredentialThrottleRecorder(IDbContextFactory<PortalDbContext> contexts, ILogger<CredentialThrottleRecorder> logger)
{
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>The latest end this node stored per credential: a storm of 429s naming the same end writes once, not per response.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, DateTimeOffset> _stored = new();

    public async Task RecordAsync(int credentialId, DateTimeOffset until, CancellationToken cancellationToken)
    {
        // Within a second of what this node already stored: nothing new to say (Retry-After is given in whole seconds).
        if (_stored.TryGetValue(credentialId, out var stored) && until <= stored + TimeSpan.FromSeconds(1))
        {
            return;
        }

        _stored.AddOrUpdate(credentialId, until, (_, previous) => previous > until ? previous : until);
        // Awaited (nothing outlives the request), but never for long: the caller is about to wait out the Retry-After anyway.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(deadline.Token);
            await db.Set<MailboxCredential>()
                .Where(c => c.Id == credentialId && (c.ThrottledUntil == null || c.ThrottledUntil < until))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.ThrottledUntil, until), deadline.Token);
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Storing that credential {CredentialId} is throttled until {Until} failed; this node still shows it", credentialId, until);
        }
    }
}

/// <summary>
/// Stores each 429's Retry-After on the credential whose request it answered. Outside the mailbox's concurrency slot, so the
/// write never holds a slot, and inside Graph's retry handler, so every 429 is seen.
/// </summary>
internal sealed class CredentialThrottleHandler(CredentialThrottleRecorder recorder, int credentialId, TimeProvider time) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if ((int)response.StatusCode == 429)
        {
            var now = time.GetUtcNow();
            if (ThrottleMark.End(response.Headers.RetryAfter, now) is var until && until > now)
            {
                await recorder.RecordAsync(credentialId, until, cancellationToken);
            }
        }

        return response;
    }
}
