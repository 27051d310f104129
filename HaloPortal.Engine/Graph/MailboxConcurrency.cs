using System.Collections.Concurrent;

namespace HaloPortal.Engine.Graph;

/// <summary>
/// Graph allows 4 concurrent requests per app and mailbox. Every request for a mailbox takes one of its slots, whichever
/// job or screen sends it, so the portal never trips the MailboxConcurrency limit itself.
/// </summary>
internal sealed class MailboxConcurrencyLimiter(Microsoft.Extensions.Options.IOptions<GraphLimitsOptions> limits, TimeProvider time)
{
    public const int MaxConcurrentRequestsPerMailbox = 4;

    private readonly ConcurrentDictionary<string, MailboxSlots> _slots = new(StringComparer.OrdinalIgnoreCase);

    public MailboxSlots For(string appAndMailbox) =>
        _slots.GetOrAdd(appAndMailbox, _ => new MailboxSlots(
            new SemaphoreSlim(MaxConcurrentRequestsPerMailbox, MaxConcurrentRequestsPerMailbox),
            new GraphRequestBudget(limits.Value, time)));
}

/// <summary>The concurrency slots and request budget of one app and mailbox.</summary>
internal sealed record MailboxSlots(SemaphoreSlim Concurrency, GraphRequestBudget Budget);

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
