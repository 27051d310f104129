using HaloPortal.Engine.Telemetry;

namespace HaloPortal.Engine.Graph;

/// <summary>
/// Counts every HTTP exchange with Graph for a mailbox, and its 429s with their Retry-After. Innermost in the pipeline (below the
/// retry handler), so each retry is counted as Graph counts it.
/// </summary>
internal sealed class GraphMetricsHandler(PortalTelemetry telemetry, int mailboxId) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var status = (int)response.StatusCode;
        telemetry.GraphResponse(mailboxId, status, status == 429 ? RetryAfter(response) : null);
        return response;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero,
        _ => null,
    };
}
