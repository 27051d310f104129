using System.Collections.Concurrent;

namespace HaloPortal.Engine.Graph;

/// <summary>
/// Graph allows 4 concurrent requests per app and mailbox. Every request for a mailbox takes one of its slots, whichever
/// job or screen sends it, so the portal never trips the MailboxConcurrency limit itself.
/// </summary>
internal sealed class MailboxConcurrencyLimiter
{
    public const int MaxConcurrentRequestsPerMailbox = 4;

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _slots = new(StringComparer.OrdinalIgnoreCase);

    public SemaphoreSlim For(string appAndMailbox) =>
        _slots.GetOrAdd(appAndMailbox, _ => new SemaphoreSlim(MaxConcurrentRequestsPerMailbox, MaxConcurrentRequestsPerMailbox));
}

/// <summary>Holds a mailbox slot for the duration of one HTTP exchange (inside Graph's retry handler, so Retry-After waits hold no slot).</summary>
internal sealed class MailboxConcurrencyHandler(SemaphoreSlim slots) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
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
}
