using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Telemetry;

/// <summary>
/// An observable gauge read from the database (a queue depth, an expiry). A feature implements <see cref="Read"/> with its own query;
/// the reading is kept for Portal:Metrics:GaugeCacheSeconds, so however often Prometheus scrapes (or however many readers there are),
/// the database is asked at most once per period. Created when the host starts (<see cref="GaugeRegistration"/>).
/// </summary>
internal abstract class CachedGauge(IOptions<MetricsOptions> options, TimeProvider time, ILogger logger)
{
    private readonly Lock _gate = new();
    private IReadOnlyList<Measurement<double>> _last = [];
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    /// <summary>The clock readings are taken on.</summary>
    protected TimeProvider Time => time;

    /// <summary>The instrument's name, e.g. <c>haloportal.pipeline.queue_depth</c>.</summary>
    protected abstract string Name { get; }

    protected abstract string? Unit { get; }

    protected abstract string Description { get; }

    /// <summary>The current values with their tags (one query; it runs on the collecting thread, so keep it small).</summary>
    protected abstract IReadOnlyList<Measurement<double>> Read();

    public void Create(Meter meter) => meter.CreateObservableGauge(Name, Observe, Unit, Description);

    private IEnumerable<Measurement<double>> Observe()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (now - _readAt >= TimeSpan.FromSeconds(options.Value.GaugeCacheSeconds))
            {
                try
                {
                    _last = Read();
                }
                catch (Exception ex)
                {
                    // A scrape while the database is away shows the last reading; the portal's own health check reports the database.
                    logger.LogWarning("Reading the gauge {Gauge} failed: {Message}", Name, ex.Message);
                }

                _readAt = now;
            }

            return _last;
        }
    }
}
