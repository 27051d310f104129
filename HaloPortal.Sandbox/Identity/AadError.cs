using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace HaloPortal.Sandbox.Identity;

/// <summary>A token-endpoint failure as Entra reports it: an OAuth error, an AADSTS code and its wording.</summary>
internal sealed class AadException(string error, int code, string message, int status = StatusCodes.Status400BadRequest) : Exception(message)
{
    public string Error { get; } = error;
    public int Code { get; } = code;
    public int Status { get; } = status;

    public static AadException InvalidClient(int code, string message) => new("invalid_client", code, message, StatusCodes.Status401Unauthorized);

    public static AadException InvalidRequest(int code, string message) => new("invalid_request", code, message);

    public static AadException InvalidGrant(int code, string message) => new("invalid_grant", code, message);

    public static AadException MissingParameter(string name) =>
        InvalidRequest(900144, $"The request body must contain the following parameter: '{name}'.");

    public static AadException TenantNotFound(string tenant) => InvalidRequest(90002,
        $"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. " +
        "Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.");

    public static AadException AppNotFound(Guid appId, string tenantName) => new("unauthorized_client", 700016,
        $"Application with identifier '{appId}' was not found in the directory '{tenantName}'. This can happen if the application has not been " +
        "installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.");

    public static AadException NoConsent(Guid appId, string appName) => new("invalid_grant", 65001,
        $"The user or administrator has not consented to use the application with ID '{appId}' named '{appName}'. " +
        "Send an interactive authorization request for this user and resource.");

    /// <summary>Entra's error body: the description starts with the AADSTS code and ends with trace, correlation and timestamp.</summary>
    public AadErrorBody ToBody(DateTimeOffset now, string? correlationId)
    {
        var traceId = Guid.NewGuid().ToString();
        var correlation = string.IsNullOrWhiteSpace(correlationId) ? Guid.NewGuid().ToString() : correlationId;
        var timestamp = now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return new AadErrorBody(
            Error,
            $"AADSTS{Code}: {Message}\r\nTrace ID: {traceId}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}",
            [Code],
            timestamp,
            traceId,
            correlation,
            $"{SandboxHosts.LoginBaseUrl}error?code={Code}");
    }
}

internal sealed record AadErrorBody(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string ErrorDescription,
    [property: JsonPropertyName("error_codes")] int[] ErrorCodes,
    [property: JsonPropertyName("timestamp")] string Timestamp,
    [property: JsonPropertyName("trace_id")] string TraceId,
    [property: JsonPropertyName("correlation_id")] string CorrelationId,
    [property: JsonPropertyName("error_uri")] string ErrorUri);
