using System.Globalization;
using System.Text.Json.Nodes;
using HaloPortal.Sandbox.Control;
using HaloPortal.Sandbox.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;

namespace HaloPortal.Sandbox.Graph;

/// <summary>
/// Runs a Graph request: bearer validation, routing, the caller's rights on the mailbox (permissions, Full Access delegation,
/// application access policies), injected faults, throttling, then the handler; errors come back in Graph's envelope.
/// </summary>
internal sealed class GraphPipeline(
    IServiceProvider services,
    GraphTokenValidator validator,
    GraphRouter router,
    Throttler throttler,
    FaultRegistry faults,
    SandboxDirectoryCache directory,
    TimeProvider time)
{
    public const int MaxBatchRequests = 20;

    public async Task HandleHttpAsync(HttpContext http)
    {
        var requestId = Guid.NewGuid().ToString();
        var clientRequestId = http.Request.Headers["client-request-id"].ToString();
        if (string.IsNullOrEmpty(clientRequestId))
        {
            clientRequestId = requestId;
        }

        var rest = http.Request.Path.Value![SandboxHosts.GraphPathPrefix.Length..];
        var version = rest.TrimStart('/').Split('/')[0];
        GraphResult result;
        if (version is not ("v1.0" or "beta"))
        {
            result = Error(new GraphRequestException(400, "BadRequest", $"Invalid version: {version}"));
        }
        else
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            var request = new GraphRequest
            {
                Method = http.Request.Method,
                Path = rest.TrimStart('/')[version.Length..],
                Query = http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                Headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                Body = body.ToArray(),
                ContentType = http.Request.ContentType,
                LinkBase = Identity.IdentityEndpoints.LinkBase(http, SandboxHosts.GraphHost, SandboxHosts.GraphPathPrefix) + version,
            };
            try
            {
                var caller = await validator.ValidateAsync(http.Request.Headers.Authorization.ToString(), http.RequestAborted);
                result = request.Path.Trim('/') == "$batch" && HttpMethods.IsPost(request.Method)
                    ? await BatchAsync(request, caller, http.RequestAborted)
                    : await ExecuteAsync(request, caller, http.RequestAborted);
            }
            catch (GraphRequestException ex)
            {
                result = Error(ex);
            }
        }

        await WriteAsync(http, result, requestId, clientRequestId);
    }

    /// <summary>One request (also each entry of a batch).</summary>
    public async Task<GraphResult> ExecuteAsync(GraphRequest request, GraphCaller caller, CancellationToken ct)
    {
        IDisposable? slot = null;
        try
        {
            var segments = GraphRouter.Split(request.Path);
            if (segments.Length > 0 && string.Equals(segments[0], "me", StringComparison.OrdinalIgnoreCase))
            {
                if (caller.UserId is not { } me)
                {
                    throw GraphRequestException.BadRequest("/me request is only valid with delegated authentication flow.");
                }

                segments = ["users", me.ToString(), .. segments[1..]];
            }

            var match = router.Match(request.Method, segments, out var pathKnown);
            if (match is null)
            {
                throw pathKnown
                    ? new GraphRequestException(405, "Request_BadRequest", $"The HTTP method '{request.Method}' is not allowed for this resource.")
                    : GraphRequestException.BadRequest($"Resource not found for the segment '{segments.LastOrDefault() ?? ""}'.");
            }

            var (route, values) = match.Value;
            SbUser? mailbox = null;
            if (values.TryGetValue("user", out var userKey))
            {
                mailbox = await directory.FindUserAsync(caller.TenantId, userKey, ct)
                    ?? throw new GraphRequestException(404, "ErrorInvalidUser", $"The requested user '{userKey}' is invalid.");
                await AuthorizeAsync(caller, mailbox, route.Access, ct);
                if (route.Access != GraphAccess.User)
                {
                    await ApplyFaultsAsync(mailbox.UserPrincipalName, ct);
                    slot = await throttler.EnterAsync(caller.TenantId, caller.AppId, mailbox.Id, ct);
                }
            }

            return await route.Handler(new GraphCall
            {
                Request = request,
                Caller = caller,
                Mailbox = mailbox,
                Values = values,
                Services = services,
                Aborted = ct,
            });
        }
        catch (GraphRequestException ex)
        {
            if (ex.Status == 429)
            {
                throttler.Answered429(caller.TenantId);
            }

            return Error(ex);
        }
        finally
        {
            slot?.Dispose();
        }
    }

    internal async Task AuthorizeAsync(GraphCaller caller, SbUser mailbox, GraphAccess access, CancellationToken ct)
    {
        var own = caller.UserId == mailbox.Id;
        string[] needed = (access, caller.IsApp, own) switch
        {
            (GraphAccess.User, true, _) => ["User.Read.All", "User.ReadBasic.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
            (GraphAccess.User, false, true) => ["User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "Directory.Read.All"],
            (GraphAccess.User, false, false) => ["User.ReadBasic.All", "User.Read.All", "Directory.Read.All"],
            (GraphAccess.MailboxSettings, _, _) => ["MailboxSettings.Read", "MailboxSettings.ReadWrite"],
            (GraphAccess.MailRead, true, _) => ["Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic", "Mail.ReadBasic.All"],
            (GraphAccess.MailRead, false, true) => ["Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic", "Mail.Read.Shared", "Mail.ReadWrite.Shared"],
            (GraphAccess.MailRead, false, false) => ["Mail.Read.Shared", "Mail.ReadWrite.Shared"],
            (GraphAccess.MailWrite, true, _) => ["Mail.ReadWrite"],
            (GraphAccess.MailWrite, false, true) => ["Mail.ReadWrite", "Mail.ReadWrite.Shared"],
            (GraphAccess.MailWrite, false, false) => ["Mail.ReadWrite.Shared"],
            (GraphAccess.MailSend, true, _) => ["Mail.Send"],
            (GraphAccess.MailSend, false, true) => ["Mail.Send", "Mail.Send.Shared"],
            (GraphAccess.MailSend, false, false) => ["Mail.Send.Shared"],
            (GraphAccess.ContactsRead, true, _) => ["Contacts.Read", "Contacts.ReadWrite"],
            (GraphAccess.ContactsRead, false, true) => ["Contacts.Read", "Contacts.ReadWrite", "Contacts.Read.Shared", "Contacts.ReadWrite.Shared"],
            (GraphAccess.ContactsRead, false, false) => ["Contacts.Read.Shared", "Contacts.ReadWrite.Shared"],
            (GraphAccess.ContactsWrite, true, _) => ["Contacts.ReadWrite"],
            (GraphAccess.ContactsWrite, false, true) => ["Contacts.ReadWrite", "Contacts.ReadWrite.Shared"],
            (GraphAccess.ContactsWrite, false, false) => ["Contacts.ReadWrite.Shared"],
            _ => [],
        };
        if (access == GraphAccess.User)
        {
            if (!caller.HasAny(needed))
            {
                throw new GraphRequestException(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
            }

            return;
        }

        if (mailbox.MailboxType == SandboxMailboxType.None)
        {
            throw new GraphRequestException(404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.");
        }

        if (!caller.HasAny(needed))
        {
            throw GraphRequestException.AccessDenied();
        }

        if (!caller.IsApp && !own)
        {
            var isDelegate = await directory.IsDelegateAsync(mailbox.Id, caller.UserId!.Value, ct);
            if (!isDelegate)
            {
                throw GraphRequestException.AccessDenied();
            }
        }

        if (caller.IsApp)
        {
            var policies = await directory.AccessPoliciesAsync(caller.TenantId, caller.AppId, ct);
            if (policies.Length > 0 && !policies.Any(p => p.AllowedMailboxes.Contains(mailbox.UserPrincipalName, StringComparer.OrdinalIgnoreCase)))
            {
                throw new GraphRequestException(403, "ErrorAccessDenied", "Access to OData is disabled.");
            }
        }
    }

    private async Task ApplyFaultsAsync(string mailbox, CancellationToken ct)
    {
        var fault = await faults.TakeAsync(mailbox, [SandboxFaultKind.Throttle, SandboxFaultKind.FailRequests], ct);
        if (fault is null)
        {
            return;
        }

        if (fault.Kind == SandboxFaultKind.Throttle)
        {
            throw Throttler.Throttled(fault.RetryAfterSeconds ?? 10, "Application is over its MailboxConcurrency limit.");
        }

        var status = fault.Status ?? 503;
        var (code, message) = status switch
        {
            500 => ("InternalServerError", "An internal server error occurred. The operation failed."),
            502 => ("BadGateway", "The server, while acting as a gateway, received an invalid response."),
            503 => ("ServiceUnavailable", "The service is temporarily unavailable. Please retry later."),
            504 => ("GatewayTimeout", "The server, while acting as a proxy, did not receive a timely response."),
            429 => ("ApplicationThrottled", "Application is over its MailboxConcurrency limit."),
            401 => ("InvalidAuthenticationToken", "Access token validation failure. Invalid audience."),
            403 => ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
            404 => ("ErrorItemNotFound", "The specified object was not found in the store."),
            _ => ("UnknownError", $"The request failed with status {status} (injected fault)."),
        };
        throw new GraphRequestException(status, code, message) { RetryAfterSeconds = fault.RetryAfterSeconds ?? (status is 429 or 503 ? 10 : null) };
    }

    private async Task<GraphResult> BatchAsync(GraphRequest request, GraphCaller caller, CancellationToken ct)
    {
        var body = request.JsonBody();
        var entries = body["requests"]?.AsArray() ?? throw GraphRequestException.BadRequest("Invalid batch payload format.");
        if (entries.Count > MaxBatchRequests)
        {
            throw GraphRequestException.BadRequest($"The number of requests in the batch exceeds the maximum of {MaxBatchRequests}.");
        }

        var responses = new JsonArray();
        foreach (var entry in entries.OfType<JsonObject>())
        {
            var id = entry["id"]?.ToString() ?? "";
            var url = entry["url"]?.GetValue<string>() ?? "";
            var headers = (entry["headers"] as JsonObject)?.ToDictionary(h => h.Key, h => h.Value?.ToString() ?? "", StringComparer.OrdinalIgnoreCase)
                          ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var question = url.IndexOf('?', StringComparison.Ordinal);
            // Like ASP.NET does for top-level requests, and Graph for batch entries: the path arrives percent-decoded.
            var path = "/" + Uri.UnescapeDataString((question < 0 ? url : url[..question]).TrimStart('/'));
            var query = question < 0
                ? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
                : Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(url[(question + 1)..]).ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var entryBody = entry["body"] is { } b
                ? b.GetValueKind() == System.Text.Json.JsonValueKind.String ? Convert.FromBase64String(b.GetValue<string>()) : System.Text.Encoding.UTF8.GetBytes(b.ToJsonString())
                : [];
            var sub = new GraphRequest
            {
                Method = entry["method"]?.GetValue<string>()?.ToUpperInvariant() ?? "GET",
                Path = path,
                Query = query,
                Headers = headers,
                Body = entryBody,
                ContentType = headers.GetValueOrDefault("Content-Type") ?? "application/json",
                LinkBase = request.LinkBase,
            };
            var result = await ExecuteAsync(sub, caller, ct);
            var responseHeaders = new JsonObject();
            foreach (var (name, value) in result.Headers)
            {
                responseHeaders[name] = value;
            }

            var response = new JsonObject { ["id"] = id, ["status"] = result.Status, ["headers"] = responseHeaders };
            if (result.Json is not null)
            {
                responseHeaders["Content-Type"] = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8";
                response["body"] = ErrorEnvelope(result, null, null) ?? result.Json.DeepClone();
            }
            else if (result.Raw is not null)
            {
                responseHeaders["Content-Type"] = result.ContentType ?? "application/octet-stream";
                response["body"] = Convert.ToBase64String(result.Raw);
            }

            responses.Add(response);
        }

        return GraphResult.Ok(new JsonObject { ["responses"] = responses });
    }

    internal static GraphResult Error(GraphRequestException ex)
    {
        var result = new GraphResult(ex.Status, new JsonObject
        {
            ["error"] = new JsonObject { ["code"] = ex.Code, ["message"] = ex.Message },
        });
        if (ex.RetryAfterSeconds is { } retryAfter)
        {
            result.Headers["Retry-After"] = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        return result;
    }

    /// <summary>Completes an error body with Graph's innerError (date, request-id, client-request-id).</summary>
    private JsonNode? ErrorEnvelope(GraphResult result, string? requestId, string? clientRequestId)
    {
        if (result.Status < 400 || result.Json?["error"] is not JsonObject error)
        {
            return null;
        }

        var copy = (JsonObject)error.DeepClone();
        var id = requestId ?? Guid.NewGuid().ToString();
        copy["innerError"] = new JsonObject
        {
            ["date"] = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture),
            ["request-id"] = id,
            ["client-request-id"] = clientRequestId ?? id,
        };
        return new JsonObject { ["error"] = copy };
    }

    private async Task WriteAsync(HttpContext http, GraphResult result, string requestId, string clientRequestId)
    {
        var response = http.Response;
        response.StatusCode = result.Status;
        response.Headers["request-id"] = requestId;
        response.Headers["client-request-id"] = clientRequestId;
        response.Headers["x-ms-ags-diagnostic"] = "{\"ServerInfo\":{\"DataCenter\":\"Sandbox\",\"Slice\":\"E\",\"Ring\":\"0\",\"ScaleUnit\":\"000\",\"RoleInstance\":\"HaloPortal\"}}";
        response.Headers.CacheControl = "no-cache";
        foreach (var (name, value) in result.Headers)
        {
            response.Headers[name] = new StringValues(value);
        }

        if (result.Json is not null)
        {
            var json = ErrorEnvelope(result, requestId, clientRequestId) ?? result.Json;
            response.ContentType = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8";
            await response.WriteAsync(json.ToJsonString(), http.RequestAborted);
        }
        else if (result.Raw is not null)
        {
            response.ContentType = result.ContentType ?? "application/octet-stream";
            await response.Body.WriteAsync(result.Raw, http.RequestAborted);
        }
    }
}
