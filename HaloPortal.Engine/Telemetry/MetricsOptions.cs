using System.ComponentModel.DataAnnotations;

namespace HaloPortal.Engine.Telemetry;

/// <summary>Metrics (section <c>Portal:Metrics</c>): the Prometheus scrape endpoint <c>/metrics</c> and OTLP export.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Portal:Metrics";

    /// <summary>Collect and export metrics. Off: no metrics pipeline at all (no /metrics, no OTLP metrics), e.g. to measure the portal without it.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// A key a Prometheus scraper sends as <c>Authorization: Bearer &lt;key&gt;</c> to read <c>/metrics</c> without signing in.
    /// Without it only signed-in administrators can read the endpoint.
    /// </summary>
    [MinLength(32, ErrorMessage = "Portal:Metrics:ScraperKey must be at least 32 characters (e.g. openssl rand -hex 32).")]
    public string? ScraperKey { get; set; }

    /// <summary>How long the gauges read from the database (queue depths, credential expiry) keep a reading before they query again.</summary>
    [Range(1, 300, ErrorMessage = "Portal:Metrics:GaugeCacheSeconds must be between 1 and 300.")]
    public int GaugeCacheSeconds { get; set; } = 5;
}

/// <summary>Traces (section <c>Portal:Tracing</c>): each email's processing as one trace, from the webhook to the ticket.</summary>
public sealed class TracingOptions
{
    public const string SectionName = "Portal:Tracing";

    /// <summary>Record traces. Unset: on when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (there is somewhere to send them), off otherwise.</summary>
    public bool? Enabled { get; set; }

    /// <summary>
    /// Continue the trace a caller's <c>traceparent</c> (and its <c>tracestate</c>, <c>baggage</c>) names. Off (the default): every
    /// request starts a trace of its own, since anonymous callers (webhooks, the login page) must not choose trace ids or inject
    /// baggage. Turn it on only behind a gateway that starts the traces and drops these headers from the internet.
    /// </summary>
    public bool TrustIncomingContext { get; set; }
}
