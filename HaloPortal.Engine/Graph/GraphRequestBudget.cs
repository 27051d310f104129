using System.ComponentModel.DataAnnotations;

namespace HaloPortal.Engine.Graph;

/// <summary>Graph's per app and mailbox request limit (section <c>Portal:Graph</c>); the engine paces itself below it.</summary>
internal sealed class GraphLimitsOptions
{
    public const string SectionName = "Portal:Graph";

    /// <summary>Requests Graph allows per app and mailbox in <see cref="WindowSeconds"/> (Exchange: 10,000 per 10 minutes).</summary>
    [Range(1, 1_000_000, ErrorMessage = "Portal:Graph:RequestsPerWindow must be between 1 and 1000000.")]
    public int RequestsPerWindow { get; set; } = 10_000;

    [Range(1, 86_400, ErrorMessage = "Portal:Graph:WindowSeconds must be between 1 and 86400.")]
    public int WindowSeconds { get; set; } = 600;
}

/// <summary>
/// A sliding log per app and mailbox that keeps the engine under Graph's request limit, so a backlog drains at the
/// permitted rate instead of bursting into 429s. It allows the whole allowance at once (as Graph does), and keeps a margin
/// (2% fewer requests, a window one second longer) for the time a request takes to reach the service. With several live
/// nodes each keeps to its share of the allowance (<paramref name="liveNodes"/>, read at every request), so the deployment as a
/// whole stays under Graph's limit.
/// </summary>
internal sealed class GraphRequestBudget(GraphLimitsOptions limits, TimeProvider time, Func<int>? liveNodes = null)
{
    private readonly int _whole = Math.Max(1, (int)(limits.RequestsPerWindow * 0.98));
    private readonly TimeSpan _window = TimeSpan.FromSeconds(limits.WindowSeconds + 1);
    private readonly Queue<DateTimeOffset> _sent = new();
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>This node's share of the allowance now.</summary>
    public int Allowance => NodeShare.Of(_whole, liveNodes?.Invoke() ?? 1);

    /// <summary>Waits until <paramref name="count"/> more requests fit in the window, then records them as sent.</summary>
    public async Task AcquireAsync(int count, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var wanted = count;
            while (true)
            {
                var allowance = Allowance;
                count = Math.Min(wanted, allowance);
                var now = time.GetUtcNow();
                while (_sent.Count > 0 && now - _sent.Peek() >= _window)
                {
                    _sent.Dequeue();
                }

                if (_sent.Count + count <= allowance)
                {
                    for (var i = 0; i < count; i++)
                    {
                        _sent.Enqueue(now);
                    }

                    return;
                }

                // Wait until enough of the oldest requests leave the window.
                var freeAt = _sent.ElementAt(Math.Min(_sent.Count - 1, _sent.Count + count - allowance - 1)) + _window;
                var wait = freeAt - now;
                await Task.Delay(wait > TimeSpan.FromMilliseconds(1) ? wait : TimeSpan.FromMilliseconds(1), time, cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
