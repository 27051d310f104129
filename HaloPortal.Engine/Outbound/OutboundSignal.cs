using System.Threading.Channels;

namespace HaloPortal.Engine.Outbound;

/// <summary>Wakes the background sender when a message was queued (the database row is the record; this is only a nudge).</summary>
internal sealed class OutboundSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => _channel.Writer.TryWrite(true);

    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, timeoutSource.Token);
        var read = _channel.Reader.WaitToReadAsync(timeoutSource.Token).AsTask();
        await Task.WhenAny(delay, read);
        await timeoutSource.CancelAsync();
        _channel.Reader.TryRead(out _);
        cancellationToken.ThrowIfCancellationRequested();
    }
}

/// <summary>What changed: an outbound message and the ticket it belongs to (null for notifications).</summary>
public sealed record OutboundChange(long OutboundMessageId, int? TicketId, OutboundStatus Status);

/// <summary>Raised when an outbound message changes state, so open ticket screens refresh (subscribe and unsubscribe on dispose).</summary>
public interface IOutboundEvents
{
    event Action<OutboundChange>? Changed;
}

internal sealed class OutboundEvents : IOutboundEvents
{
    public event Action<OutboundChange>? Changed;

    public void Raise(OutboundChange change) => Changed?.Invoke(change);
}
