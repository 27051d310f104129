namespace HaloPortal.Engine.Ingestion;

/// <summary>Why the webhook receiver refused a notification item.</summary>
internal enum RejectionReason
{
    /// <summary>The subscription id is not one of this portal's subscriptions.</summary>
    UnknownSubscription,

    /// <summary>The subscription is ours but the clientState does not match: not sent by Graph for this portal.</summary>
    ClientStateMismatch,

    /// <summary>The subscription was cancelled.</summary>
    SubscriptionCancelled,
}

/// <summary>Notification items refused since <paramref name="Since"/> (this portal process's start), per reason.</summary>
public sealed record RejectionCounts(long UnknownSubscription, long ClientStateMismatch, long SubscriptionCancelled, DateTimeOffset Since)
{
    public long Total => UnknownSubscription + ClientStateMismatch + SubscriptionCancelled;
}

/// <summary>
/// Counts refused notification items in memory: only a bounded sample of them is stored as request rows
/// (Portal:Webhooks:RejectedSampleSize), so the count says how many there really were.
/// </summary>
internal sealed class RejectionTally(TimeProvider time)
{
    private readonly DateTimeOffset _since = time.GetUtcNow();
    private readonly long[] _counts = new long[Enum.GetValues<RejectionReason>().Length];

    public void Add(RejectionReason reason, long count = 1) => Interlocked.Add(ref _counts[(int)reason], count);

    public RejectionCounts Snapshot() => new(
        Interlocked.Read(ref _counts[(int)RejectionReason.UnknownSubscription]),
        Interlocked.Read(ref _counts[(int)RejectionReason.ClientStateMismatch]),
        Interlocked.Read(ref _counts[(int)RejectionReason.SubscriptionCancelled]),
        _since);
}
