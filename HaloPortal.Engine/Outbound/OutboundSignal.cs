using System.Globalization;
using System.Threading.Channels;
using HaloPortal.Engine.Nodes;

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

/// <summary>Raises <see cref="Changed"/> here and, through the change feed, on the other portal nodes (key "id:ticket:status").</summary>
internal sealed class OutboundEvents(IChangeFeed feed) : IOutboundEvents, IChangeTopic
{
    private const string Topic = "outbound";

    public event Action<OutboundChange>? Changed;

    string IChangeTopic.Topic => Topic;

    public void Raise(OutboundChange change)
    {
        feed.Publish(Topic, Key(change));
        Changed?.Invoke(change);
    }

    Task IChangeTopic.ApplyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        foreach (var change in keys.Select(Parse).OfType<OutboundChange>())
        {
            Changed?.Invoke(change);
        }

        return Task.CompletedTask;
    }

    internal static string Key(OutboundChange change) =>
        string.Create(CultureInfo.InvariantCulture, $"{change.OutboundMessageId}:{change.TicketId}:{change.Status}");

    internal static OutboundChange? Parse(string key) =>
        key.Split(':') is [var id, var ticket, var status]
        && long.TryParse(id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var messageId)
        && Enum.TryParse<OutboundStatus>(status, out var parsed)
            ? new OutboundChange(messageId, int.TryParse(ticket, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticketId) ? ticketId : null, parsed)
            : null;
}
