using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Mail;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace HaloPortal.Sandbox.Graph;

/// <summary>
/// Attachment upload sessions, as Outlook serves them behind Graph's <c>createUploadSession</c>: a pre-authenticated upload URL
/// (no Authorization header needed) that takes the file in PUTs of at most 4 MiB, each naming its bytes in <c>Content-Range</c>
/// and starting where the last one ended. Every PUT but the last answers 200 with <c>nextExpectedRanges</c>; the last adds the
/// attachment to the message and answers 201 with its <c>Location</c>. A session expires
/// (<see cref="SandboxOptions.AttachmentUploadSessionMinutes"/>), and can be cancelled with DELETE. Sessions live in memory.
/// </summary>
internal sealed partial class AttachmentUploads(MailStore store, IOptions<SandboxOptions> options, TimeProvider time)
{
    /// <summary>The largest attachment (and message) Exchange Online takes.</summary>
    public const long MaxAttachmentBytes = 150L * 1024 * 1024;

    /// <summary>The most bytes one PUT may carry.</summary>
    public const int MaxChunkBytes = 4 * 1024 * 1024;

    public const string PathSegment = "attachmentUploads";

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    private sealed class Session(Guid mailboxId, string userId, string messageId, string name, string contentType, bool isInline, string? contentId, long size, DateTimeOffset expires)
    {
        public Guid MailboxId { get; } = mailboxId;
        public string UserId { get; } = userId;
        public string MessageId { get; } = messageId;
        public string Name { get; } = name;
        public string ContentType { get; } = contentType;
        public bool IsInline { get; } = isInline;
        public string? ContentId { get; } = contentId;
        public long Size { get; } = size;
        public DateTimeOffset Expires { get; } = expires;
        public byte[] Buffer { get; } = new byte[size];
        public long Received { get; set; }
        public SemaphoreSlim Gate { get; } = new(1, 1);
    }

    /// <summary><c>POST .../messages/{id}/attachments/createUploadSession</c> with <c>{"AttachmentItem": {...}}</c>.</summary>
    public async Task<GraphResult> CreateAsync(GraphCall call)
    {
        var mailbox = call.RequiredMailbox;
        var body = call.Request.JsonBody();
        var item = (body["AttachmentItem"] ?? body["attachmentItem"])?.AsObject()
                   ?? throw new GraphRequestException(400, "ErrorInvalidRequest", "The AttachmentItem parameter is missing.");
        var type = item["attachmentType"]?.GetValue<string>() ?? "file";
        if (!string.Equals(type, "file", StringComparison.OrdinalIgnoreCase))
        {
            throw new GraphRequestException(400, "ErrorInvalidRequest", $"Upload sessions take file attachments only, not '{type}'.");
        }

        var name = item["name"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new GraphRequestException(400, "ErrorInvalidRequest", "The attachment needs a name.");
        }

        var size = item["size"] is { } s ? s.GetValue<long>() : 0;
        if (size <= 0)
        {
            throw new GraphRequestException(400, "ErrorInvalidRequest", "The attachment size must be greater than zero.");
        }

        var messageId = call.Values["message"];
        var existing = await store.AttachmentBytesAsync(mailbox.Id, messageId, call.Aborted) ?? throw GraphRequestException.ItemNotFound();
        if (size > MaxAttachmentBytes || existing + size > MaxAttachmentBytes)
        {
            throw new GraphRequestException(413, "ErrorMessageSizeExceeded",
                $"The message exceeds the maximum supported size of {MaxAttachmentBytes / 1024 / 1024} MB (its attachments would be {(existing + size) / 1024.0 / 1024.0:F1} MB).");
        }

        var token = SandboxIds.Opaque();
        var expires = time.GetUtcNow().AddMinutes(options.Value.AttachmentUploadSessionMinutes);
        var contentType = item["contentType"]?.GetValue<string>() ?? "application/octet-stream";
        _sessions[token] = new Session(mailbox.Id, mailbox.Id.ToString(), messageId, name, contentType,
            item["isInline"]?.GetValue<bool>() ?? false, item["contentId"]?.GetValue<string>(), size, expires);
        var linkBase = call.Request.LinkBase[..call.Request.LinkBase.LastIndexOf('/')];
        return GraphResult.Created(new JsonObject
        {
            ["@odata.context"] = $"{call.Request.LinkBase}/$metadata#microsoft.graph.uploadSession",
            ["uploadUrl"] = $"{linkBase}/{PathSegment}/{token}",
            ["expirationDateTime"] = MessageJson.Time(expires),
            ["nextExpectedRanges"] = new JsonArray("0-"),
        });
    }

    /// <summary>PUT (a chunk), GET (the session's state) or DELETE (cancel) on an upload URL.</summary>
    public async Task HandleHttpAsync(HttpContext http, string token)
    {
        var (status, json, location) = await HandleAsync(http, token);
        http.Response.StatusCode = status;
        if (location is not null)
        {
            http.Response.Headers.Location = location;
        }

        if (json is not null)
        {
            http.Response.ContentType = "application/json; odata.metadata=minimal; charset=utf-8";
            await http.Response.WriteAsync(json.ToJsonString(), http.RequestAborted);
        }
    }

    private async Task<(int Status, JsonObject? Json, string? Location)> HandleAsync(HttpContext http, string token)
    {
        var now = time.GetUtcNow();
        if (!_sessions.TryGetValue(token, out var session))
        {
            return Error(404, "ErrorItemNotFound", "The upload session does not exist: it was completed, cancelled or never created.");
        }

        if (now >= session.Expires)
        {
            _sessions.TryRemove(token, out _);
            return Error(404, "ErrorItemNotFound", $"The upload session expired at {MessageJson.Time(session.Expires)}; create a new one.");
        }

        if (HttpMethods.IsDelete(http.Request.Method))
        {
            _sessions.TryRemove(token, out _);
            return (204, null, null);
        }

        if (HttpMethods.IsGet(http.Request.Method))
        {
            return (200, State(session), null);
        }

        if (!HttpMethods.IsPut(http.Request.Method))
        {
            return Error(405, "ErrorInvalidRequest", $"The HTTP method '{http.Request.Method}' is not allowed on an upload URL.");
        }

        var range = ContentRange().Match(http.Request.Headers.ContentRange.ToString());
        if (!range.Success)
        {
            return Error(400, "ErrorInvalidContentRange", "Each PUT needs a Content-Range header: bytes {first}-{last}/{total}.");
        }

        var (first, last, total) = (long.Parse(range.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(range.Groups[2].Value, CultureInfo.InvariantCulture),
            long.Parse(range.Groups[3].Value, CultureInfo.InvariantCulture));
        if (total != session.Size)
        {
            return Error(400, "ErrorInvalidContentRange", $"The Content-Range total ({total}) differs from the attachment size given when the session was created ({session.Size}).");
        }

        if (last < first || last >= total)
        {
            return Error(400, "ErrorInvalidContentRange", $"The Content-Range bytes {first}-{last}/{total} are not a range of the attachment.");
        }

        var length = last - first + 1;
        if (length > MaxChunkBytes)
        {
            return Error(413, "ErrorRequestEntityTooLarge", $"A PUT may carry at most {MaxChunkBytes} bytes; this one names {length}.");
        }

        if (http.Request.ContentLength is { } declared && declared != length)
        {
            return Error(400, "ErrorInvalidContentRange", $"The Content-Length ({declared}) differs from the length of the Content-Range ({length}).");
        }

        await session.Gate.WaitAsync(http.RequestAborted);
        try
        {
            if (first != session.Received)
            {
                return Error(416, "ErrorInvalidContentRange", $"The next expected range starts at byte {session.Received}, not {first}.", State(session));
            }

            var read = 0;
            var buffer = session.Buffer.AsMemory((int)first, (int)length);
            while (read < length)
            {
                var n = await http.Request.Body.ReadAsync(buffer[read..], http.RequestAborted);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            if (read != length || await http.Request.Body.ReadAsync(new byte[1], http.RequestAborted) != 0)
            {
                return Error(400, "ErrorInvalidContentRange", $"The body carried {(read != length ? read : "more than " + length)} bytes; the Content-Range names {length}.");
            }

            session.Received = last + 1;
            if (session.Received < session.Size)
            {
                return (200, State(session), null);
            }

            _sessions.TryRemove(token, out _);
            var attachment = await store.AddAttachmentAsync(session.MailboxId, session.MessageId,
                new NewAttachment(session.Name, session.ContentType, session.IsInline, session.ContentId, session.Buffer), http.RequestAborted);
            var linkBase = IdentityLinkBase(http);
            return (201, null, $"{linkBase}v1.0/users('{session.UserId}')/messages('{session.MessageId}')/attachments('{attachment.Id}')");
        }
        finally
        {
            session.Gate.Release();
        }
    }

    private static string IdentityLinkBase(HttpContext http) => Identity.IdentityEndpoints.LinkBase(http, SandboxHosts.GraphHost, SandboxHosts.GraphPathPrefix);

    private static JsonObject State(Session session) => new()
    {
        ["expirationDateTime"] = MessageJson.Time(session.Expires),
        ["nextExpectedRanges"] = new JsonArray($"{session.Received}-"),
    };

    private static (int, JsonObject?, string?) Error(int status, string code, string message, JsonObject? extra = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message };
        var json = new JsonObject { ["error"] = error };
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                json[key] = value?.DeepClone();
            }
        }

        return (status, json, null);
    }

    [GeneratedRegex(@"^\s*bytes\s+(\d+)-(\d+)/(\d+)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex ContentRange();
}
