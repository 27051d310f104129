using System.Threading.Channels;

namespace HaloPortal.Engine.Ingestion.Sources.Webhook;

/// <summary>An acknowledged notification to act on: a message to fetch (<see cref="EmailId"/>) or a lifecycle event; <see cref="TraceParent"/> the trace it continues.</summary>
internal sealed record QueuedWork(int CredentialId, int SubscriptionId, long? EmailId, long RequestId, string? LifecycleEvent, string? TraceParent = null);

/// <summary>In-memory hand-off from the receiver to the worker. A trigger only: everything queued is already in the database.</summary>
internal sealed class WebhookQueue
{
    private readonly Channel<QueuedWork> _mail = Channel.CreateUnbounded<QueuedWork>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<QueuedWork> _lifecycle = Channel.CreateUnbounded<QueuedWork>(new UnboundedChannelOptions { SingleReader = true });

    public ChannelReader<QueuedWork> Mail => _mail.Reader;

    public ChannelReader<QueuedWork> Lifecycle => _lifecycle.Reader;

    public void Post(IEnumerable<QueuedWork> work)
    {
        foreach (var item in work)
        {
            (item.LifecycleEvent is null ? _mail : _lifecycle).Writer.TryWrite(item);
        }
    }
}
