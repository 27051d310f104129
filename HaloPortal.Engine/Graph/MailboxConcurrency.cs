using System.Collections.Concurrent;
using HaloPortal.Engine.Nodes;

namespace HaloPortal.Engine.Graph;

/// <summary>
/// Graph allows 4 concurrent requests per app and mailbox. Every request for a mailbox takes one of its slots, whichever
/// job or screen sends it, so the portal never trips the MailboxConcurrency limit itself. The limits are Graph's for the
/// whole deployment: with several live nodes (the heartbeat table) each node takes its share of the slots and of the request
/// budget, so together they stay under them.
/// </summary>
internal sealed class MailboxConcurrencyLimiter(Microsoft.Extensions.Options.IOptions<GraphLimitsOptions> limits, TimeProvider time, IPortalNodes nodes)
{
    public const int MaxConcurrentRequestsPerMailbox = 4;

    private readonly ConcurrentDictionary<string, MailboxSlots> _slots = new(StringComparer.OrdinalIgnoreCase);

    public MailboxSlots For(string appAndMailbox) =>
        _slots.GetOrAdd(appAndMailbox, _ => new MailboxSlots(
            new SharedSlots(() => NodeShare.Of(MaxConcurrentRequestsPerMailbox, nodes.LiveNodes)),
            new GraphRequestBudget(limits.Value, time, () => nodes.LiveNodes))
        {
            Throttle = new ThrottleMark(time),
        });

    /// <summary>Until when Graph last asked this node to wait for the app and mailbox (429 with Retry-After), if that is still ahead.</summary>
    public DateTimeOffset? ThrottledUntil(string appAndMailbox) =>
        _slots.TryGetValue(appAndMailbox, out var slots) && slots.Throttle?.Until is { } until && until > time.GetUtcNow() ? until : null;
}

/// <summary>The end of the last Retry-After Graph answered a mailbox's request with (this node's memory: for monitoring only).</summary>
internal sealed class ThrottleMark(TimeProvider time)
{
    private long _untilTicks;

    public DateTimeOffset? Until => Interlocked.Read(ref _untilTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public void Record(System.Net.Http.Headers.RetryConditionHeaderValue? retryAfter)
    {
        var until = End(retryAfter, time.GetUtcNow());
        Interlocked.Exchange(ref _untilTicks, until.UtcTicks);
    }

    /// <summary>The longest wait a Retry-After is believed for: Graph asks for seconds to minutes; a stored end only moves later.</summary>
    internal static readonly TimeSpan Longest = TimeSpan.FromHours(1);

    /// <summary>
    /// When a Retry-After received at <paramref name="now"/> ends (<paramref name="now"/> itself when Graph named none), at most
    /// <see cref="Longest"/> ahead: a date years away must not show the mailbox throttled for good.
    /// </summary>
    public static DateTimeOffset End(System.Net.Http.Headers.RetryConditionHeaderValue? retryAfter, DateTimeOffset now)
    {
        var end = retryAfter?.Delta is { } delta ? now + delta : retryAfter?.Date ?? now;
        return end > now + Longest ? now + Longest : end;
    }
}

/// <summary>A node's share of a limit that all live nodes split: at least 1, and never more than the whole divided evenly.</summary>
internal static class NodeShare
{
    public static int Of(int whole, int liveNodes) => Math.Max(1, whole / Math.Max(1, liveNodes));
}

/// <summary>The concurrency slots and request budget of one app and mailbox.</summary>
internal sealed record MailboxSlots(SharedSlots Concurrency, GraphRequestBudget Budget)
{
    public ThrottleMark? Throttle { get; init; }
}

/// <summary>
/// A counting gate whose limit is read at every entry (this node's share, which changes as nodes come and go): a smaller
/// share takes effect as requests finish, a larger one at the next entry.
/// </summary>
internal sealed class SharedSlots(Func<int> limit)
{
    private readonly object _gate = new();
    private readonly List<TaskCompletionSource> _waiting = [];
    private int _inFlight;

    /// <summary>Requests holding a slot now.</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _inFlight;
            }
        }
    }

    public int Limit => limit();

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TaskCompletionSource wake;
            lock (_gate)
            {
                if (_inFlight < limit())
                {
                    _inFlight++;
                    return;
                }

                wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add(wake);
            }

            try
            {
                await wake.Task.WaitAsync(cancellationToken);
            }
            finally
            {
                lock (_gate)
                {
                    _waiting.Remove(wake);
                }
            }
        }
    }

    public void Release()
    {
        List<TaskCompletionSource> woken;
        lock (_gate)
        {
            _inFlight--;
            // Every waiter looks again (few wait at once): one that was cancelled meanwhile can never swallow the wake-up.
            woken = [.. _waiting];
            _waiting.Clear();
        }

        foreach (var waiter in woken)
        {
            waiter.TrySetResult();
        }
    }
}

/// <summary>Holds a mailbox slot for the duration of one HTTP exchange (inside Graph's retry handler, so Retry-After waits hold no slot).</summary>
internal sealed class MailboxConcurrencyHandler(MailboxSlots mailbox) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Graph counts each request of a $batch against the mailbox's limit: so does the budget.
        await mailbox.Budget.AcquireAsync(await CountAsync(request, cancellationToken), cancellationToken);
        var slots = mailbox.Concurrency;
        await slots.WaitAsync(cancellationToken);
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            if ((int)response.StatusCode == 429)
            {
                mailbox.Throttle?.Record(response.Headers.RetryAfter);
            }

            if (response.Content is { } content)
            {
                // Read the body while the slot is held, so the connection is done when the slot frees.
                await content.LoadIntoBufferAsync(cancellationToken);
            }

            return response;
        }
        finally
        {
            slots.Release();
        }
    }

    private static async Task<int> CountAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri?.AbsolutePath.EndsWith("/$batch", StringComparison.Ordinal) != true || request.Content is null)
        {
            return 1;
        }

        await request.Content.LoadIntoBufferAsync(cancellationToken);
        using var json = System.Text.Json.JsonDocument.Parse(await request.Content.ReadAsStreamAsync(cancellationToken));
        return json.RootElement.TryGetProperty("requests", out var requests) ? Math.Max(1, requests.GetArrayLength()) : 1;
    }
}
