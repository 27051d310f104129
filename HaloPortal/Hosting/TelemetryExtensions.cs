using System.Security.Cryptography;
using System.Text;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Telemetry;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace HaloPortal.Hosting;

/// <summary>
/// OpenTelemetry for the engine's meter and activity source: a Prometheus scrape endpoint (<c>/metrics</c>, administrators or a
/// scraper key), OTLP export when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and traces when there is somewhere to send them.
/// </summary>
public static class TelemetryExtensions
{
    public const string MetricsPath = "/metrics";

    /// <summary>The standard OpenTelemetry variable: set, metrics (and traces) are also pushed there over OTLP.</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static WebApplicationBuilder AddPortalTelemetry(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var metrics = configuration.GetSection(MetricsOptions.SectionName).Get<MetricsOptions>() ?? new MetricsOptions();
        var tracing = configuration.GetSection(TracingOptions.SectionName).Get<TracingOptions>() ?? new TracingOptions();
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]);
        var traces = tracing.Enabled ?? otlp;
        if (!tracing.TrustIncomingContext)
        {
            IncomingTraceContext.Ignore(builder.Services);
        }

        if (!metrics.Enabled && !traces)
        {
            return builder;
        }

        var node = configuration["Portal:Node:Name"] is { Length: > 0 } name ? name : Environment.MachineName;
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("haloportal", serviceInstanceId: node));
        if (metrics.Enabled)
        {
            telemetry.WithMetrics(m =>
            {
                // This portal's instruments only, not those of another portal in the same process (tests, the two-node benchmark):
                // OpenTelemetry subscribes to meters by name, so it would add the other portal's counts to this one's, and forget
                // the merged series when the other portal stops. Meters made by another host's IMeterFactory are dropped.
                ((IDeferredMeterProviderBuilder)m).Configure((services, meters) =>
                {
                    var own = services.GetRequiredService<IMeterFactory>();
                    meters.AddView(instrument => instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, own) ? MetricStreamConfiguration.Drop : null);
                });
                m.AddMeter(TelemetryNames.Meter);
                // ASP.NET Core's own request metrics (http.server.request.duration): rates and latencies of every endpoint.
                m.AddAspNetCoreInstrumentation();
                m.AddPrometheusExporter();
                if (otlp)
                {
                    m.AddOtlpExporter();
                }
            });
        }

        if (traces)
        {
            telemetry.WithTracing(t =>
            {
                t.AddSource(TelemetryNames.ActivitySource);
                // The request that brought a notification is the root of its emails' traces; Graph calls nest under their stage.
                t.AddAspNetCoreInstrumentation(o => o.Filter = context => !IsNoise(context.Request.Path));
                t.AddHttpClientInstrumentation();
                if (otlp)
                {
                    t.AddOtlpExporter();
                }
            });
        }

        return builder;
    }

    public static WebApplication MapPortalMetrics(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (!options.Enabled)
        {
            return app;
        }

        // Anonymous at the endpoint level (the fallback policy would redirect a scraper to the login page); the branch decides.
        app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: branch => branch.Use(AuthorizeScrapeAsync), optionsName: null)
            .AllowAnonymous()
            .DisableRateLimiting();
        return app;
    }

    /// <summary>
    /// A signed-in administrator (cookie, or an administrator's X-Api-Key) or the configured scraper key as a bearer token. The key is
    /// compared in constant time and never logged; wrong keys use up the client's API-key failure allowance.
    /// </summary>
    private static async Task AuthorizeScrapeAsync(HttpContext context, Func<Task> next)
    {
        if (context.User.IsInRole(PortalRoles.Administrator))
        {
            await next();
            return;
        }

        var failures = context.RequestServices.GetRequiredService<ClientFailures>();
        var client = context.Connection.RemoteIpAddress;
        var key = context.RequestServices.GetRequiredService<IOptions<MetricsOptions>>().Value.ScraperKey;
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            if (failures.RetryAfter(ClientFailure.ApiKey, client) is { } wait)
            {
                await RateLimitExtensions.TooManyAttempts(context, wait, "Too many requests from this client had a wrong scraper key.").ExecuteAsync(context);
                return;
            }

            if (key is { Length: > 0 } && Matches(header["Bearer ".Length..].Trim(), key))
            {
                await next();
                return;
            }

            failures.Record(ClientFailure.ApiKey, client);
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TelemetryExtensions))
                .LogWarning("Refused a metrics scrape from {Client}: the bearer token is not the configured Portal:Metrics:ScraperKey", LogText.Clean(client));
        }

        var signedIn = context.User.Identity?.IsAuthenticated == true;
        await Results.Problem(
            title: signedIn ? "Forbidden" : "Authentication required",
            detail: signedIn
                ? "Only administrators can read the metrics."
                : "Sign in as an administrator, or send the scraper key (Portal:Metrics:ScraperKey) as Authorization: Bearer <key>.",
            statusCode: signedIn ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized).ExecuteAsync(context);
    }

    private static bool Matches(string sent, string key) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(sent)), SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Requests not worth a trace: the scrape itself, health probes, Blazor's circuit and framework files.</summary>
    private static bool IsNoise(PathString path) =>
        path.StartsWithSegments(MetricsPath) || path.StartsWithSegments("/health") || path.StartsWithSegments("/_blazor") || path.StartsWithSegments("/_framework");
}
