using HaloPortal.Engine.Ingestion.Sources.Webhook;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Subscriptions;
using Microsoft.Extensions.Options;

namespace HaloPortal.Hosting;

/// <summary>
/// Microsoft Graph's callbacks (anonymous: Graph authenticates with the subscription's clientState, checked per item):
/// the validation handshake, change notifications and lifecycle notifications. The answer is given only after the batch is
/// committed, and never waits for Graph. Anonymous, so rate-limited per client IP on failures only (<see cref="RateLimitExtensions.GraphWebhooksPolicy"/>):
/// a request that carried no item for a known subscription counts; a client over the limit is answered 429 before its body is read.
/// </summary>
public static class GraphWebhookEndpoints
{
    public static WebApplication MapGraphWebhooks(this WebApplication app)
    {
        var group = app.MapGroup("").AllowAnonymous().DisableAntiforgery().WithTags("Graph webhooks")
            .RequireRateLimiting(RateLimitExtensions.GraphWebhooksPolicy);
        group.MapPost(PortalRoutes.GraphNotifications, (HttpContext http, IChangeNotifications notifications, IOptions<WebhookOptions> options, ILoggerFactory logs) =>
            HandleAsync(http, options.Value, logs, notifications.ReceiveChangesAsync))
            .WithName("GraphChangeNotifications")
            .WithSummary("Graph change notifications; ?validationToken= is echoed as text/plain (validation handshake).");
        group.MapPost(PortalRoutes.GraphLifecycle, (HttpContext http, IChangeNotifications notifications, IOptions<WebhookOptions> options, ILoggerFactory logs) =>
            HandleAsync(http, options.Value, logs, notifications.ReceiveLifecycleAsync))
            .WithName("GraphLifecycleNotifications")
            .WithSummary("Graph lifecycle notifications (reauthorizationRequired, subscriptionRemoved, missed); same handshake.");
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext http, WebhookOptions options, ILoggerFactory logs,
        Func<ReadOnlyMemory<byte>, CancellationToken, Task<ChangeNotificationResult>> receive)
    {
        var failures = http.RequestServices.GetRequiredService<ClientFailures>();
        if (http.Request.Query.TryGetValue("validationToken", out var token))
        {
            // Graph validates once per subscription it creates: cheap, but counted so that no client can use the echo in bulk.
            failures.Record(ClientFailure.Webhook, http.Connection.RemoteIpAddress);
            // The query value is already URL-decoded: the decoded token is the whole body.
            return TypedResults.Text(token.ToString(), "text/plain", System.Text.Encoding.UTF8, StatusCodes.Status200OK);
        }

        var body = await ReadBodyAsync(http.Request, options.MaxBodyBytes, http.RequestAborted);
        if (body is null)
        {
            failures.Record(ClientFailure.Webhook, http.Connection.RemoteIpAddress);
            logs.CreateLogger(typeof(GraphWebhookEndpoints)).LogWarning("Refused a Graph notification over {Limit} bytes from {Remote}", options.MaxBodyBytes, LogText.Clean(http.Connection.RemoteIpAddress));
            return TypedResults.Problem(title: "Notification too large", detail: $"The body is over {options.MaxBodyBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        var result = await receive(body.Value, http.RequestAborted);
        if (result.Answer != ChangeNotificationAnswer.Unavailable && result.Items == result.Rejected)
        {
            // Nothing for a known subscription (all refused, empty, malformed or too many items): this client's allowance shrinks.
            failures.Record(ClientFailure.Webhook, http.Connection.RemoteIpAddress);
        }

        return result.Answer switch
        {
            ChangeNotificationAnswer.Accepted => TypedResults.Accepted((string?)null),
            ChangeNotificationAnswer.TooLarge => TypedResults.Problem(title: "Too many notifications in one batch", detail: result.Detail, statusCode: StatusCodes.Status413PayloadTooLarge),
            ChangeNotificationAnswer.Malformed => TypedResults.Problem(title: "Not a Graph notification batch", detail: result.Detail, statusCode: StatusCodes.Status400BadRequest),
            _ => TypedResults.Problem(title: "Temporarily unavailable", detail: result.Detail, statusCode: StatusCodes.Status503ServiceUnavailable),
        };
    }

    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
