using System.Collections.Concurrent;
using HaloPortal.Sandbox.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HaloPortal.Sandbox.Graph;

/// <summary>
/// Exchange's limits per app and mailbox: requests per window (10,000 per 10 minutes) and concurrent requests (4); over either,
/// 429 ApplicationThrottled with Retry-After. Counters live in memory; each tenant can switch throttling off. Every 429 a tenant's
/// callers were answered (these limits or an injected Throttle fault) is counted, for the control API's tenant list.
/// </summary>
internal sealed class Throttler(IOptions<SandboxOptions> options, TimeProvider time, IDbContextFactory<SandboxDbContext> contexts)
{
    private readonly ConcurrentDictionary<(Guid App, Guid Mailbox), Bucket> _buckets = new();
    private readonly ConcurrentDictionary<Guid, bool> _tenantEnabled = new();
    private readonly ConcurrentDictionary<Guid, long> _throttled = new();

    public async Task<IDisposable?> EnterAsync(Guid tenantId, Guid appId, Guid mailboxId, CancellationToken ct)
    {
        if (!await EnabledAsync(tenantId, ct))
        {
            return null;
        }

        var settings = options.Value;
        var bucket = _buckets.GetOrAdd((appId, mailboxId), _ => new Bucket());
        var now = time.GetUtcNow();
        var window = TimeSpan.FromSeconds(settings.ThrottleWindowSeconds);
        lock (bucket)
        {
            while (bucket.Requests.Count > 0 && now - bucket.Requests.Peek() >= window)
            {
                bucket.Requests.Dequeue();
            }

            if (bucket.Active >= settings.MaxConcurrentRequests)
            {
                throw Throttled(1, "Application is over its MailboxConcurrency limit.");
            }

            if (bucket.Requests.Count >= settings.ThrottleRequestsPerWindow)
            {
                var retryAfter = (int)Math.Ceiling((bucket.Requests.Peek() + window - now).TotalSeconds);
                throw Throttled(Math.Max(1, retryAfter), "Application is over its MailboxConcurrency limit.");
            }

            bucket.Requests.Enqueue(now);
            bucket.Active++;
        }

        return new Slot(bucket);
    }

    public void TenantChanged(Guid tenantId) => _tenantEnabled.TryRemove(tenantId, out _);

    /// <summary>Counts a 429 answered to a caller of <paramref name="tenantId"/>.</summary>
    public void Answered429(Guid tenantId) => _throttled.AddOrUpdate(tenantId, 1, (_, n) => n + 1);

    /// <summary>The 429s answered to the tenant's callers since the sandbox started.</summary>
    public long ThrottledResponses(Guid tenantId) => _throttled.TryGetValue(tenantId, out var n) ? n : 0;

    public static GraphRequestException Throttled(int retryAfterSeconds, string message) =>
        new(429, "ApplicationThrottled", message) { RetryAfterSeconds = retryAfterSeconds };

    private async Task<bool> EnabledAsync(Guid tenantId, CancellationToken ct)
    {
        if (_tenantEnabled.TryGetValue(tenantId, out var enabled))
        {
            return enabled;
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        enabled = await db.Tenants.Where(t => t.Id == tenantId).Select(t => t.ThrottlingEnabled).SingleOrDefaultAsync(ct);
        _tenantEnabled[tenantId] = enabled;
        return enabled;
    }

    private sealed class Bucket
    {
        public Queue<DateTimeOffset> Requests { get; } = new();
        public int Active { get; set; }
    }

    private sealed class Slot(Bucket bucket) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (bucket)
                {
                    bucket.Active--;
                }
            }
        }
    }
}
