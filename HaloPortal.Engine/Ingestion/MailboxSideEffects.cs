using System.Collections.Concurrent;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Mailboxes;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Mailbox = HaloPortal.Engine.Mailboxes.Mailbox;
using Microsoft.Graph.Users.Item.Messages.Item.Move;

namespace HaloPortal.Engine.Ingestion;

/// <summary>
/// The last step of the pipeline: move, delete or mark read the messages whose tickets are committed, up to 20 per Graph $batch
/// (or nothing at all for <see cref="ProcessedMailAction.LeaveInPlace"/>).
/// </summary>
internal sealed class MailboxSideEffects
{
    private const int BatchSize = 20;
    private readonly ConcurrentDictionary<string, string> _processedFolderIds = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The side effect each message got: true when done (or the message was already gone), false when it must be retried.</summary>
    public async Task<IReadOnlyDictionary<string, SideEffectResult>> ApplyAsync(
        GraphServiceClient client, string mailbox, Mailbox settings, IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
    {
        var results = new Dictionary<string, SideEffectResult>();
        if (messageIds.Count == 0)
        {
            return results;
        }

        if (settings.ProcessedAction == ProcessedMailAction.LeaveInPlace)
        {
            // Nothing to ask Graph: the message stays as it is, and its inbound record (Done) is what keeps it from a second ticket.
            foreach (var id in messageIds)
            {
                results[id] = new SideEffectResult(true, null, null);
            }

            return results;
        }

        string? folderId = null;
        if (settings.ProcessedAction == ProcessedMailAction.MoveToFolder)
        {
            folderId = await ProcessedFolderIdAsync(client, mailbox, settings.ProcessedFolderName, cancellationToken);
        }

        foreach (var chunk in messageIds.Chunk(BatchSize))
        {
            var batch = new BatchRequestContentCollection(client);
            var steps = new Dictionary<string, string>();
            foreach (var id in chunk)
            {
                var message = client.Users[mailbox].Messages[id];
                var request = settings.ProcessedAction switch
                {
                    ProcessedMailAction.MoveToFolder => message.Move.ToPostRequestInformation(new MovePostRequestBody { DestinationId = folderId }),
                    ProcessedMailAction.Delete => message.ToDeleteRequestInformation(),
                    _ => message.ToPatchRequestInformation(new Message { IsRead = true }),
                };
                steps[await batch.AddBatchRequestStepAsync(request)] = id;
            }

            var response = await GraphCall.RunAsync(() => client.Batch.PostAsync(batch, cancellationToken));
            var statuses = await response.GetResponsesStatusCodesAsync();
            foreach (var (stepId, messageId) in steps)
            {
                var status = statuses.TryGetValue(stepId, out var code) ? (int)code : 0;
                string? newId = null;
                if (status == 201 && settings.ProcessedAction == ProcessedMailAction.MoveToFolder)
                {
                    var moved = await response.GetResponseByIdAsync<Message>(stepId);
                    newId = moved?.Id;
                }

                string? detail = null;
                if (status >= 400)
                {
                    using var failed = await response.GetResponseByIdAsync(stepId);
                    detail = failed?.Content is null ? null : await failed.Content.ReadAsStringAsync(cancellationToken);
                }

                results[messageId] = status switch
                {
                    >= 200 and < 300 => new SideEffectResult(true, newId, null),
                    404 => new SideEffectResult(true, null, "The message was no longer in the mailbox (moved or deleted elsewhere)."),
                    429 or >= 500 or 0 => new SideEffectResult(false, null, $"Graph answered {status}; the side effect will be retried."),
                    _ => new SideEffectResult(true, null, $"Graph refused the side effect ({status} {detail}); the message stays where it is."),
                };
            }
        }

        return results;
    }

    private async Task<string> ProcessedFolderIdAsync(GraphServiceClient client, string mailbox, string name, CancellationToken cancellationToken)
    {
        var key = $"{mailbox}|{name}";
        if (_processedFolderIds.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var escaped = name.Replace("'", "''", StringComparison.Ordinal);
        var existing = await GraphCall.RunAsync(() => client.Users[mailbox].MailFolders.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"displayName eq '{escaped}'";
            r.QueryParameters.Select = ["id", "displayName"];
        }, cancellationToken));
        var id = existing?.Value?.FirstOrDefault(f => string.Equals(f.DisplayName, name, StringComparison.OrdinalIgnoreCase))?.Id;
        if (id is null)
        {
            var created = await GraphCall.RunAsync(() => client.Users[mailbox].MailFolders.PostAsync(new MailFolder { DisplayName = name }, cancellationToken: cancellationToken));
            id = created?.Id ?? throw new InvalidOperationException($"Graph did not return the id of the new folder '{name}'.");
        }

        _processedFolderIds[key] = id;
        return id;
    }
}

internal sealed record SideEffectResult(bool Done, string? NewMessageId, string? Note);
