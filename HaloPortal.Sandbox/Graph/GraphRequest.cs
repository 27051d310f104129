using System.Text.Json;
using System.Text.Json.Nodes;
using HaloPortal.Sandbox.Data;

namespace HaloPortal.Sandbox.Graph;

/// <summary>A Graph request, from HTTP or from a <c>$batch</c> entry.</summary>
internal sealed class GraphRequest
{
    public required string Method { get; init; }

    /// <summary>The path after the version, e.g. <c>/users/x/messages</c>.</summary>
    public required string Path { get; init; }

    public required IReadOnlyDictionary<string, string> Query { get; init; }

    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    public byte[] Body { get; init; } = [];

    public string? ContentType { get; init; }

    /// <summary>The base links are written with, e.g. <c>https://graph.sandbox.haloportal.invalid/v1.0</c>.</summary>
    public required string LinkBase { get; init; }

    public string? QueryValue(string name) => Query.TryGetValue(name, out var v) ? v : null;

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public JsonObject JsonBody()
    {
        if (Body.Length == 0)
        {
            throw new GraphRequestException(400, "BadRequest", "Empty Payload. JSON content expected.");
        }

        try
        {
            // Graph matches property names case-insensitively (the SDK sends action parameters such as "DestinationId").
            return JsonNode.Parse(Body, new JsonNodeOptions { PropertyNameCaseInsensitive = true })?.AsObject() ?? throw new GraphRequestException(400, "BadRequest", "Invalid JSON payload.");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new GraphRequestException(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.");
        }
    }
}

/// <summary>What a handler answers; the pipeline adds the request ids and Graph's error envelope.</summary>
internal sealed record GraphResult(int Status, JsonNode? Json = null, byte[]? Raw = null, string? ContentType = null)
{
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static GraphResult Ok(JsonNode json) => new(200, json);

    public static GraphResult Created(JsonNode json) => new(201, json);

    public static readonly GraphResult NoContent = new(204);

    public static readonly GraphResult Accepted = new(202);

    public GraphResult WithHeader(string name, string value)
    {
        Headers[name] = value;
        return this;
    }
}

/// <summary>A matched request: the caller, the mailbox its path names (if any) and the route's values.</summary>
internal sealed class GraphCall
{
    public required GraphRequest Request { get; init; }
    public required GraphCaller Caller { get; init; }
    public SbUser? Mailbox { get; init; }
    public required IReadOnlyDictionary<string, string> Values { get; init; }
    public required IServiceProvider Services { get; init; }
    public CancellationToken Aborted { get; init; }

    public SbUser RequiredMailbox => Mailbox ?? throw new InvalidOperationException("This route has no mailbox.");

    public string this[string name] => Values[name];

    /// <summary>The canonical path of the mailbox for links and contexts, e.g. <c>users('id')</c>.</summary>
    public string UserSegment => $"users('{RequiredMailbox.Id}')";
}
