using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;

namespace HaloPortal.Engine.Ingestion;

/// <summary>Stage 1: fetch the raw message and commit it (Discovered → Fetched).</summary>
internal sealed partial class InboundProcessor
{
    /// <summary>Raw messages larger than this are committed by the fetch itself instead of waiting in memory for their run.</summary>
    private const int HeldInMemoryLimit = 1024 * 1024;

    private ILogger Logger => logger;

    /// <summary>What fetching one email gave: its raw message, the Graph error, or nothing to do.</summary>
    private sealed record Fetched(WorkItem Item, byte[]? Raw = null, CredentialException? Error = null, bool HoldsWindow = false);

    /// <summary>Fetches raw messages ahead of the decisions: a bounded window ahead, a bounded number at a time.</summary>
    private sealed class Fetcher(InboundProcessor processor, GraphServiceClient client, string address, Mailbox mailbox, SemaphoreSlim window, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        private int _read;

        /// <summary>How many raw messages were read from Graph so far.</summary>
        public int Read => Volatile.Read(ref _read);

        public async Task<Fetched> FetchAsync(WorkItem item, StageOf? stage, ProcessingLog log)
        {
            if (stage is not { Stage: InboundStage.Discovered })
            {
                return new Fetched(item);
            }

            using var span = processor.Telemetry.StartStage(log.Trace, "email.fetch");
            await window.WaitAsync(cancellationToken);
            var holdsWindow = true;
            try
            {
                byte[] raw;
                for (var retry = 0; ; retry++)
                {
                    CredentialException? failure = null;
                    var wait = TimeSpan.Zero;
                    Microsoft.Graph.Models.Message? named = null;
                    await slots.WaitAsync(cancellationToken);
                    try
                    {
                        log.Info(retry == 0 ? $"Fetching the raw message from {address}." : $"Fetching the raw message from {address} again.");
                        // The client has no retry handler (which would repeat a throttled or failing read out of sight): this loop repeats it where the log shows it.
                        await using var stream = await GraphCall.RunAsync(() => client.Users[address].Messages[stage.GraphMessageId].Content.GetAsync(cancellationToken: cancellationToken))
                                                 ?? throw new InvalidOperationException("Graph returned no content for the message.");
                        using var buffer = new MemoryStream();
                        await stream.CopyToAsync(buffer, cancellationToken);
                        raw = buffer.ToArray();
                        Interlocked.Increment(ref _read);
                        log.Info($"Fetched {raw.Length:N0} bytes.");
                        break;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // Whatever one fetch does, it fails (and is retried) alone: the other emails of the batch go on.
                        failure = ex as CredentialException ?? Unexpected(ex);
                        if (processor.ReadAgainAfter(failure.Error, failure.RetryAfter, retry) is not { } delay)
                        {
                            return new Fetched(item, Error: failure, HoldsWindow: true);
                        }

                        wait = delay;
                        if (retry == 0 && !stage.KnowsSender)
                        {
                            // Found by a webhook (which names no sender): read who sent it once, so the log can say so while it waits
                            // (not on every repeat: a mailbox that is throttled or failing gets no more calls than needed).
                            named = await processor.TryReadHeadlineAsync(client, address, stage.GraphMessageId!, cancellationToken);
                        }
                    }
                    finally
                    {
                        slots.Release();
                    }

                    await processor.WaitToReadAgainAsync(item.EmailId, failure!, wait, named, log, cancellationToken);
                }

                if (raw.Length > HeldInMemoryLimit)
                {
                    await processor.CommitFetchedOneAsync(mailbox, new Fetched(item, raw), log, cancellationToken);
                    window.Release();
                    holdsWindow = false;
                    return new Fetched(item);
                }

                return new Fetched(item, raw, HoldsWindow: true);
            }
            catch
            {
                if (holdsWindow)
                {
                    window.Release();
                }

                throw;
            }
        }

        private CredentialException Unexpected(Exception ex)
        {
            processor.Logger.LogWarning(ex, "Fetching an inbound email from {Address} failed", address);
            return new CredentialException(new KnownError(
                "FetchFailed",
                "The message could not be read from the mailbox",
                $"Reading the raw message failed ({ex.GetType().Name}: {ex.Message}).",
                "It is retried automatically; if it keeps failing, replay the email from the inbound log and report the error shown here.",
                ErrorKind.Transient), ex);
        }
    }

    /// <summary>Commits a run of fetched raw messages in one transaction; a run that cannot is committed one email at a time.</summary>
    private async Task CommitFetchedAsync(Mailbox mailbox, IReadOnlyList<Fetched> run, Dictionary<long, ProcessingLog> logs, CancellationToken cancellationToken)
    {
        var pending = run.Where(f => f.Raw is not null || f.Error is not null).ToList();
        if (pending.Count == 0)
        {
            return;
        }

        if (pending.Count > 1)
        {
            var marks = pending.ToDictionary(f => f.Item.EmailId, f => logs[f.Item.EmailId].Mark());
            try
            {
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                var ids = pending.Select(f => f.Item.EmailId).ToList();
                var rows = await db.Set<InboundEmail>().Where(e => ids.Contains(e.Id)).ToDictionaryAsync(e => e.Id, cancellationToken);
                // Webhook-found mail is keyed by its Graph id until its Message-ID is read from the MIME: those take the careful path.
                if (rows.Values.All(r => !r.DedupeKey.StartsWith("graph:", StringComparison.Ordinal)))
                {
                    foreach (var fetched in pending)
                    {
                        if (rows.TryGetValue(fetched.Item.EmailId, out var row) && row.Stage == InboundStage.Discovered)
                        {
                            ApplyFetched(mailbox, row, fetched, logs[fetched.Item.EmailId]);
                        }
                    }

                    await db.SaveChangesAsync(cancellationToken);
                    return;
                }
            }
            catch (DbUpdateException ex)
            {
                logger.LogDebug(ex, "Committing {Count} fetched emails together failed; committing them one at a time", pending.Count);
                foreach (var fetched in pending)
                {
                    logs[fetched.Item.EmailId].Reset(marks[fetched.Item.EmailId]);
                }
            }
        }

        foreach (var fetched in pending)
        {
            await CommitFetchedOneAsync(mailbox, fetched, logs[fetched.Item.EmailId], cancellationToken);
        }
    }

    /// <summary>Commits one fetched email, recognising a webhook-found email whose Message-ID a scan already holds.</summary>
    private async Task CommitFetchedOneAsync(Mailbox mailbox, Fetched fetched, ProcessingLog log, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<InboundEmail>().SingleOrDefaultAsync(e => e.Id == fetched.Item.EmailId, cancellationToken);
        if (row is null || row.Stage != InboundStage.Discovered)
        {
            return;
        }

        var originalKey = row.DedupeKey;
        if (fetched.Raw is { } raw && await RekeyAsync(db, mailbox, row, raw, log, cancellationToken))
        {
            row.RawMime = raw;
            row.SizeBytes = raw.Length;
            row.UpdatedAt = time.GetUtcNow();
        }
        else
        {
            ApplyFetched(mailbox, row, fetched, log);
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (row.DedupeKey != originalKey && fetched.Raw is not null)
        {
            // A scan committed the same Message-ID meanwhile: this one becomes its duplicate.
            db.ChangeTracker.Clear();
            await FetchedDuplicateAsync(mailbox, fetched.Item.EmailId, fetched.Raw, row.DedupeKey, log, cancellationToken);
        }
    }

    /// <summary>Records what the fetch gave on the email's row: the raw message (Fetched), or the end or retry it calls for.</summary>
    private void ApplyFetched(Mailbox mailbox, InboundEmail row, Fetched fetched, ProcessingLog log)
    {
        var now = time.GetUtcNow();
        row.UpdatedAt = now;
        if (fetched.Error is { Error.Code: "ErrorItemNotFound" } notFound)
        {
            Finish(row, InboundStatus.Ignored, "The message was deleted or moved out of the folder before it could be fetched.", notFound.Error.Code, log);
            return;
        }

        if (fetched.Error is { } error)
        {
            FailOrRetry(row, error.Error, log, error.RetryAfter, Describe(error));
            return;
        }

        var raw = fetched.Raw!;
        row.RawMime = raw;
        row.SizeBytes = raw.Length;
        row.Stage = InboundStage.Fetched;
        row.NextAttemptAt = null;
        var limit = (long)mailbox.MaxEmailSizeMb * 1024 * 1024;
        if (raw.LongLength > limit)
        {
            row.Status = InboundStatus.Failed;
            row.Stage = InboundStage.Done;
            row.ErrorCode = "TooLarge";
            row.Reason = $"The email is {raw.LongLength / 1024.0 / 1024.0:F1} MB, over this mailbox's {mailbox.MaxEmailSizeMb} MB limit. It was left in the mailbox; download the raw message from the inbound log, or raise the limit on the mailbox's Incoming tab and replay.";
            log.Error(row.Reason);
        }
    }

    /// <summary>
    /// An email discovered by a webhook is keyed "graph:{id}" until its MIME is here; now it takes its Message-ID as key. If a
    /// scan already holds that Message-ID, this record is the duplicate: it is closed as such and never opens a second ticket.
    /// </summary>
    private static async Task<bool> RekeyAsync(Data.PortalDbContext db, Mailbox mailbox, InboundEmail row, byte[] raw, ProcessingLog log, CancellationToken cancellationToken)
    {
        if (!row.DedupeKey.StartsWith("graph:", StringComparison.Ordinal) || MessageIdOf(raw) is not { } messageId)
        {
            return false;
        }

        var original = await db.Set<InboundEmail>().AsNoTracking()
            .Where(e => e.MailboxId == row.MailboxId && e.DedupeKey == messageId && e.Id != row.Id)
            .Select(e => new { e.Id, e.FoundBy, e.GraphMessageId })
            .FirstOrDefaultAsync(cancellationToken);
        row.InternetMessageId ??= messageId;
        if (original is null)
        {
            row.DedupeKey = messageId;
            return false;
        }

        MarkDuplicate(mailbox, row, original.Id, original.FoundBy, original.GraphMessageId, log);
        return true;
    }

    private async Task FetchedDuplicateAsync(Mailbox mailbox, long emailId, byte[] raw, string messageId, ProcessingLog log, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<InboundEmail>().SingleAsync(e => e.Id == emailId, cancellationToken);
        var original = await db.Set<InboundEmail>().AsNoTracking().Where(e => e.MailboxId == row.MailboxId && e.DedupeKey == messageId).Select(e => new { e.Id, e.FoundBy, e.GraphMessageId }).FirstAsync(cancellationToken);
        row.RawMime = raw;
        row.SizeBytes = raw.Length;
        row.InternetMessageId ??= messageId;
        MarkDuplicate(mailbox, row, original.Id, original.FoundBy, original.GraphMessageId, log);
        row.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
    }

    private static void MarkDuplicate(Mailbox mailbox, InboundEmail row, long originalId, RequestKind foundBy, string? originalGraphId, ProcessingLog log)
    {
        row.Status = InboundStatus.Ignored;
        row.ErrorCode = "Duplicate";
        row.NextAttemptAt = null;
        if (row.GraphMessageId is not null && row.GraphMessageId != originalGraphId)
        {
            // A second copy in the mailbox (its own Graph message): it gets the processed-mail action like any ignored mail,
            // so it does not linger in the folder. The same Graph message found twice is left to the original's side effect.
            row.Stage = InboundStage.Decided;
            row.PendingSideEffect = mailbox.ProcessedAction.ToString();
            row.Reason = $"Duplicate of #{originalId}: another copy of the same message (Message-ID {row.InternetMessageId}) is already in this mailbox, found by {foundBy}; it is processed there, so no second ticket.";
        }
        else
        {
            row.Stage = InboundStage.Done;
            row.Reason = $"Duplicate of #{originalId}: the same message (Message-ID {row.InternetMessageId}) was already found by {foundBy}; it is processed there, so no second ticket.";
        }

        log.Info(row.Reason);
    }

    private static string? MessageIdOf(byte[] raw)
    {
        try
        {
            var headers = MimeKit.HeaderList.Load(new MemoryStream(raw, writable: false));
            return MessageIdKey.Of(headers[MimeKit.HeaderId.MessageId]);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private void Finish(InboundEmail row, InboundStatus status, string reason, string? code, ProcessingLog log)
    {
        row.Status = status;
        row.Stage = InboundStage.Done;
        row.Reason = reason;
        row.ErrorCode = code;
        row.NextAttemptAt = null;
        row.UpdatedAt = time.GetUtcNow();
        (status == InboundStatus.Failed ? (Action<string>)log.Error : log.Info)(reason);
    }

    private void FailOrRetry(InboundEmail row, KnownError error, ProcessingLog log, TimeSpan? retryAfter = null, string? detail = null)
    {
        var now = time.GetUtcNow();
        row.ScheduledRetries++;
        row.UpdatedAt = now;
        row.LastError = Clip(detail ?? $"{error.Title}: {error.Message}");
        row.LastErrorAt = now;
        if (error.Kind == ErrorKind.Transient && row.ScheduledRetries < options.Value.MaxAttempts)
        {
            telemetry.EmailRetry(row.MailboxId, error.Code);
            row.NextAttemptAt = now + (retryAfter ?? Backoff(row.ScheduledRetries));
            row.ErrorCode = error.Code;
            row.Reason = $"{error.Message} Retrying at {row.NextAttemptAt:HH:mm:ss} UTC (attempt {row.Attempts + 1}).";
            log.Warn(row.Reason);
        }
        else
        {
            row.Status = InboundStatus.Failed;
            row.ErrorCode = error.Code;
            row.NextAttemptAt = null;
            row.Reason = $"{error.Title}: {error.Message} How to fix: {error.Fix}";
            log.Error(row.Reason);
            logger.LogWarning("Inbound email {EmailId} failed: {Code}", row.Id, error.Code);
        }
    }

    /// <summary>The longest wait a run holds an email for before leaving it to a later run (as Graph's own retry handler caps it).</summary>
    private static readonly TimeSpan LongestReadWait = TimeSpan.FromSeconds(180);

    /// <summary>How long to wait before reading a message again after <paramref name="error"/>, or null when this run should give up on it.</summary>
    private TimeSpan? ReadAgainAfter(KnownError error, TimeSpan? retryAfter, int retry)
    {
        if (error.Kind != ErrorKind.Transient || retry >= options.Value.ReadRetries)
        {
            return null;
        }

        var wait = retryAfter ?? TimeSpan.FromSeconds(Math.Min(options.Value.ReadRetryDelaySeconds * Math.Pow(2, retry), LongestReadWait.TotalSeconds));
        return wait <= LongestReadWait ? wait : null;
    }

    /// <summary>
    /// Records a transient failure of a read and when it is read again (visible in the inbound log meanwhile), waits, and counts
    /// the next read as a new attempt.
    /// </summary>
    private async Task WaitToReadAgainAsync(long emailId, CredentialException failure, TimeSpan wait, Microsoft.Graph.Models.Message? headline, ProcessingLog log, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var next = now + wait;
        var error = Clip(Describe(failure));
        log.Warn($"{error} Reading it again at {next:HH:mm:ss} UTC.");
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await db.Set<InboundEmail>().Where(e => e.Id == emailId).ExecuteUpdateAsync(s => s
                .SetProperty(e => e.LastError, error)
                .SetProperty(e => e.LastErrorAt, now)
                .SetProperty(e => e.NextAttemptAt, next)
                .SetProperty(e => e.UpdatedAt, now), cancellationToken);
            if (headline is not null)
            {
                var subject = headline.Subject is { Length: > 1000 } s ? s[..1000] : headline.Subject;
                var from = headline.From?.EmailAddress?.Address?.ToLowerInvariant() is { Length: <= 320 } f ? f : null;
                await db.Set<InboundEmail>().Where(e => e.Id == emailId).ExecuteUpdateAsync(s => s
                    .SetProperty(e => e.Subject, e => e.Subject ?? subject)
                    .SetProperty(e => e.From, e => e.From ?? from)
                    .SetProperty(e => e.ReceivedAt, e => e.ReceivedAt ?? headline.ReceivedDateTime), cancellationToken);
            }
        }

        await Task.Delay(wait, time, cancellationToken);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await db.Set<InboundEmail>().Where(e => e.Id == emailId).ExecuteUpdateAsync(s => s
                .SetProperty(e => e.Attempts, e => e.Attempts + 1)
                .SetProperty(e => e.NextAttemptAt, (DateTimeOffset?)null)
                .SetProperty(e => e.UpdatedAt, time.GetUtcNow()), cancellationToken);
        }
    }

    /// <summary>The subject, sender and time of a message (no retries; null when Graph cannot say now either).</summary>
    private async Task<Microsoft.Graph.Models.Message?> TryReadHeadlineAsync(GraphServiceClient client, string address, string graphId, CancellationToken cancellationToken)
    {
        try
        {
            return await client.Users[address].Messages[graphId].GetAsync(r => r.QueryParameters.Select = ["subject", "from", "receivedDateTime"], cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogDebug(ex, "Reading the subject and sender of message {GraphId} failed", graphId);
            return null;
        }
    }

    /// <summary>A failure in the words the inbound log shows: the catalogue's title, Graph's status and Graph's own message.</summary>
    internal static string Describe(CredentialException failure)
    {
        var api = failure.InnerException as ApiException ?? (failure.InnerException as AggregateException)?.InnerExceptions.OfType<ApiException>().LastOrDefault();
        var status = api is { ResponseStatusCode: > 0 } ? $" (HTTP {api.ResponseStatusCode})" : "";
        var message = api is ODataError { Error.Message: { Length: > 0 } said } ? said : failure.Error.Message;
        return $"{failure.Error.Title}{status}: {message}";
    }

    private static string Clip(string text) => text.Length <= 1000 ? text : text[..1000];
}
