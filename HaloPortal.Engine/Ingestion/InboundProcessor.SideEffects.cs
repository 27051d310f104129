using System.Threading.Channels;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Graph;

namespace HaloPortal.Engine.Ingestion;

/// <summary>An email whose ticket is committed and whose mailbox side effect is due.</summary>
internal sealed record SideEffectWork(long EmailId, string GraphMessageId, string? SideEffect);

/// <summary>Stage 3: the mailbox side effect, last (Decided → Done).</summary>
internal sealed partial class InboundProcessor
{
    private const int SideEffectBatch = 20;

    /// <summary>Sends the side effects of decided emails in $batch requests of up to 20, while the decisions go on.</summary>
    private async Task RunSideEffectsAsync(GraphServiceClient client, string address, Mailbox mailbox, ChannelReader<SideEffectWork> decided, Dictionary<long, ProcessingLog> logs, CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = new List<SideEffectWork>(SideEffectBatch);
            while (batch.Count < SideEffectBatch && await decided.WaitToReadAsync(cancellationToken))
            {
                while (batch.Count < SideEffectBatch && decided.TryRead(out var work))
                {
                    batch.Add(work);
                }
            }

            if (batch.Count == 0)
            {
                return;
            }

            await ApplySideEffectsAsync(client, address, mailbox, batch, logs, cancellationToken);
            foreach (var work in batch)
            {
                await probe.AfterStageAsync("side-effects", work.EmailId);
            }
        }
    }

    private async Task ApplySideEffectsAsync(GraphServiceClient client, string address, Mailbox mailbox, IReadOnlyList<SideEffectWork> batch, Dictionary<long, ProcessingLog> logs, CancellationToken cancellationToken)
    {
        foreach (var group in batch.GroupBy(w => w.SideEffect ?? mailbox.ProcessedAction.ToString()))
        {
            var action = Enum.TryParse<ProcessedMailAction>(group.Key, out var a) ? a : mailbox.ProcessedAction;
            var settings = new Mailbox { ProcessedAction = action, ProcessedFolderName = mailbox.ProcessedFolderName };
            var ids = group.Select(w => w.EmailId).ToList();
            // One $batch serves the whole group: each email's trace shows the span of it.
            var spans = ids.Select(id => telemetry.StartStage(logs[id].Trace, "email.side_effects", makeCurrent: false)).ToList();
            IReadOnlyDictionary<string, SideEffectResult>? results = null;
            string? failure = null;
            TimeSpan? retryAfter = null;
            try
            {
                results = await sideEffects.ApplyAsync(client, address, settings, group.Select(w => w.GraphMessageId).ToList(), cancellationToken);
            }
            catch (CredentialException ex)
            {
                failure = ex.Error.Message;
                retryAfter = ex.RetryAfter;
            }

            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var rows = await db.Set<InboundEmail>().Where(e => ids.Contains(e.Id)).ToListAsync(cancellationToken);
            var now = time.GetUtcNow();
            foreach (var row in rows)
            {
                var log = logs[row.Id];
                if (results is null)
                {
                    log.Warn($"The mailbox side effect ({action}) failed: {failure} It will be retried.");
                    row.ScheduledRetries++;
                    row.LastError = Clip($"The mailbox side effect ({action}) failed: {failure}");
                    row.LastErrorAt = now;
                    row.NextAttemptAt = now + (retryAfter ?? Backoff(row.ScheduledRetries));
                    continue;
                }

                var result = results.TryGetValue(row.GraphMessageId!, out var r) ? r : new SideEffectResult(false, null, "No answer for this message.");
                if (!result.Done)
                {
                    log.Warn(result.Note ?? "The side effect will be retried.");
                    row.ScheduledRetries++;
                    row.LastError = Clip(result.Note ?? $"The mailbox side effect ({action}) did not complete.");
                    row.LastErrorAt = now;
                    row.NextAttemptAt = now + Backoff(row.ScheduledRetries);
                    continue;
                }

                log.Info(result.Note ?? action switch
                {
                    ProcessedMailAction.MoveToFolder => $"Moved to the '{mailbox.ProcessedFolderName}' folder.",
                    ProcessedMailAction.Delete => "Deleted from the mailbox.",
                    ProcessedMailAction.LeaveInPlace => "Left in the mailbox.",
                    _ => "Marked as read.",
                });
                row.GraphMessageId = result.NewMessageId ?? row.GraphMessageId;
                row.Stage = InboundStage.Done;
                row.PendingSideEffect = null;
                row.NextAttemptAt = null;
                if (row.Status == InboundStatus.Processing)
                {
                    row.Status = InboundStatus.Processed;
                }

                row.UpdatedAt = now;
            }

            await db.SaveChangesAsync(cancellationToken);
            foreach (var span in spans)
            {
                span?.SetTag("side_effect", action.ToString());
                span?.Dispose();
            }
        }
    }
}
