using System.Text;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tickets;
using Microsoft.Extensions.Logging;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Graph.Users.Item.Messages.Item.Attachments.CreateUploadSession;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;

namespace HaloPortal.Engine.Outbound;

/// <summary>
/// Sends a message whose attachments are too large for one sendMail request, the way Graph asks for it: the message is created as
/// a draft from its MIME (so the portal's Message-ID, threading and deployment headers stay as built), files of up to 3 MB are
/// added in one request each, larger ones (up to 150 MB) through an upload session in chunks, then the draft is sent. Whether an
/// earlier attempt already sent it is the caller's Sent Items check; here the drafts an attempt that stopped before sending left
/// behind (found by the Message-ID) are removed first, so the mailbox never holds or sends a second copy.
/// </summary>
internal sealed class DraftSender(IGraphClients graph, IDeployment deployment, TimeProvider time, ILogger<DraftSender> logger)
{
    /// <summary>Graph's limit for an attachment added in one request; larger ones need an upload session.</summary>
    public const long InlineAttachmentLimit = 3 * 1024 * 1024;

    /// <summary>Upload chunks: a multiple of 320 KiB (as upload sessions require) under Outlook's 4 MB per request.</summary>
    public const int ChunkBytes = 12 * 320 * 1024;

    private static readonly Dictionary<string, ParsableFactory<IParsable>> ErrorMapping = new()
    {
        ["XXX"] = ODataError.CreateFromDiscriminatorValue,
    };

    public async Task SendAsync(MailboxCredential credential, OutboundMessage message, string fromAddress, string? fromName,
        IReadOnlyList<TicketAttachment> attachments, CancellationToken cancellationToken)
    {
        var client = graph.For(credential);
        var delegatedOwn = credential.AuthMethod == AuthMethod.AuthorizationCode && string.IsNullOrWhiteSpace(credential.SharedMailbox);
        var mailbox = client.RequestAdapter.BaseUrl!.TrimEnd('/') + (delegatedOwn ? "/me" : "/users/" + Uri.EscapeDataString(credential.TargetAddress!));

        // The files that fit travel inside the draft's MIME (one request, under Graph's 4 MB); the others are added to the draft.
        var files = attachments.Where(a => !a.IsInline).ToList();
        var inMime = new List<TicketAttachment>();
        var budget = OutboundMime.SendMailAttachmentBytes;
        foreach (var file in files.OrderBy(f => f.Content.Length))
        {
            if (file.Content.Length <= budget)
            {
                inMime.Add(file);
                budget -= file.Content.Length;
            }
        }

        var separate = files.Except(inMime).ToList();
        // An earlier attempt that stopped before sending (its node died, or Graph refused an upload and an agent clicked Retry,
        // which starts the count again) left its draft behind: it goes first, so the mailbox holds one copy and one is sent.
        await DeleteLeftoverDraftsAsync(client, mailbox, message.InternetMessageId, cancellationToken);

        var mime = OutboundMime.ToBytes(OutboundMime.Build(message, fromAddress, fromName, inMime, deployment.DeploymentId, time.GetUtcNow()));
        var create = new RequestInformation { HttpMethod = Method.POST, URI = new Uri(mailbox + "/messages") };
        create.SetStreamContent(new MemoryStream(Encoding.ASCII.GetBytes(Convert.ToBase64String(mime))), "text/plain");
        var draft = await GraphCall.RunAsync(() => client.RequestAdapter.SendAsync(create, Message.CreateFromDiscriminatorValue, ErrorMapping, cancellationToken))
                    ?? throw new InvalidOperationException("Graph did not return the draft it created.");
        var draftUrl = $"{mailbox}/messages/{Uri.EscapeDataString(draft.Id!)}";
        var attachmentsOfDraft = client.Users["-"].Messages["-"].Attachments.WithUrl(draftUrl + "/attachments");
        foreach (var file in separate)
        {
            var contentType = string.IsNullOrEmpty(file.ContentType) ? "application/octet-stream" : file.ContentType;
            if (file.Content.Length <= InlineAttachmentLimit)
            {
                await GraphCall.RunAsync(() => attachmentsOfDraft.PostAsync(new FileAttachment
                {
                    OdataType = "#microsoft.graph.fileAttachment",
                    Name = file.Name,
                    ContentType = contentType,
                    ContentBytes = file.Content,
                }, cancellationToken: cancellationToken));
                continue;
            }

            var session = await GraphCall.RunAsync(() => client.Users["-"].Messages["-"].Attachments.CreateUploadSession.WithUrl(draftUrl + "/attachments/createUploadSession")
                .PostAsync(new CreateUploadSessionPostRequestBody
                {
                    AttachmentItem = new AttachmentItem { AttachmentType = AttachmentType.File, Name = file.Name, Size = file.Content.LongLength, ContentType = contentType },
                }, cancellationToken: cancellationToken))
                ?? throw new InvalidOperationException($"Graph did not return an upload session for {file.Name}.");
            using var stream = new MemoryStream(file.Content, writable: false);
            var upload = new LargeFileUploadTask<AttachmentItem>(session, stream, ChunkBytes, client.RequestAdapter);
            var result = await GraphCall.RunAsync(() => upload.UploadAsync(cancellationToken: cancellationToken));
            if (!result.UploadSucceeded)
            {
                throw new CredentialException(KnownErrors.Find("ServiceUnavailable")! with
                {
                    Message = $"Uploading the attachment {file.Name} ({file.Content.LongLength / 1024.0 / 1024.0:F1} MB) did not complete.",
                });
            }

            logger.LogInformation("Outbound {Id}: uploaded {Name} ({Bytes} bytes) to the draft in {Chunks} chunk(s)",
                message.Id, file.Name, file.Content.LongLength, (file.Content.LongLength + ChunkBytes - 1) / ChunkBytes);
        }

        await GraphCall.RunAsync(async () =>
        {
            await client.Users["-"].Messages["-"].Send.WithUrl(draftUrl + "/send").PostAsync(cancellationToken: cancellationToken);
            return true;
        });
    }

    /// <summary>Deletes the drafts of this message an interrupted attempt left in Drafts (never sent: Sent Items was checked first).</summary>
    private async Task DeleteLeftoverDraftsAsync(GraphServiceClient client, string mailbox, string internetMessageId, CancellationToken cancellationToken)
    {
        var bracketed = $"<{internetMessageId.Trim().TrimStart('<').TrimEnd('>')}>";
        var filter = Uri.EscapeDataString($"internetMessageId eq '{bracketed.Replace("'", "''", StringComparison.Ordinal)}'");
        var leftovers = await GraphCall.RunAsync(() => client.Users["-"].MailFolders["drafts"].Messages
            .WithUrl($"{mailbox}/mailFolders/drafts/messages?$filter={filter}&$select=id&$top=10").GetAsync(cancellationToken: cancellationToken));
        foreach (var leftover in leftovers?.Value ?? [])
        {
            logger.LogWarning("Deleting the draft {DraftId} of {MessageId} left by an interrupted attempt before sending it again", leftover.Id, internetMessageId);
            await GraphCall.RunAsync(async () =>
            {
                await client.Users["-"].Messages["-"].WithUrl($"{mailbox}/messages/{Uri.EscapeDataString(leftover.Id!)}").DeleteAsync(cancellationToken: cancellationToken);
                return true;
            });
        }
    }
}
