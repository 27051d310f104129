using HaloPortal.Engine.Mailboxes;

namespace HaloPortal.Engine.Ingestion;

/// <summary>
/// Told after the pipeline committed a batch of a mailbox's emails (e.g. to raise a problem for those that failed permanently).
/// The pipeline owns this interface and depends on no observer. Implementations never throw into the caller.
/// </summary>
internal interface IInboundBatchObserver
{
    Task AfterBatchAsync(Mailbox mailbox, IReadOnlyCollection<InboundEmail> emails, CancellationToken cancellationToken);
}
