namespace HaloPortal.Sandbox.Graph;

/// <summary>A Graph request that fails with a Graph error body (<c>{"error":{"code","message","innerError"}}</c>).</summary>
internal sealed class GraphRequestException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;

    public int? RetryAfterSeconds { get; init; }

    public static GraphRequestException ItemNotFound() => new(404, "ErrorItemNotFound", "The specified object was not found in the store.");

    public static GraphRequestException AccessDenied() => new(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");

    public static GraphRequestException BadRequest(string message) => new(400, "BadRequest", message);
}
