using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using HaloPortal.Engine.Telemetry;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Telemetry;

/// <summary>
/// The Grafana dashboard queries the names the Prometheus exporter gives the portal's instruments, and shows every one of them.
/// (<see cref="MetricsEndpointTests"/> checks these naming rules against a real scrape: counters end in _total, units follow.)
/// </summary>
public sealed partial class DashboardTests(MetricsPortalFactory app) : IClassFixture<MetricsPortalFactory>
{
    [Fact]
    public void The_dashboard_queries_only_and_all_of_the_metrics_the_portal_exports()
    {
        var meter = app.Services.GetRequiredService<PortalTelemetry>().Meter;
        var instruments = new List<Instrument>();
        using (var listener = new MeterListener())
        {
            // Start() announces every instrument already created: the counters, and the gauges the host created at start-up.
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    instruments.Add(instrument);
                }
            };
            listener.Start();
        }

        var exported = instruments.Select(PrometheusName).ToHashSet();
        var dashboard = File.ReadAllText(Path.Combine(PortalNodeProcess.RepositoryRoot(), "deploy", "grafana", "haloportal-dashboard.json"));
        var queried = MetricName().Matches(dashboard).Select(m => Regex.Replace(m.Value, "_(bucket|sum|count)$", "")).ToHashSet();

        Assert.True(exported.Count >= 13, $"the portal exports {exported.Count} haloportal metrics: {string.Join(", ", exported)}");
        Assert.Empty(queried.Except(exported));
        Assert.Empty(exported.Except(queried));
    }

    /// <summary>The OpenTelemetry Prometheus exporter's name: dots to underscores, the unit as a suffix ({annotations} dropped), _total for counters.</summary>
    private static string PrometheusName(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        var unit = instrument.Unit switch
        {
            "s" => "seconds",
            "d" => "days",
            null or "" => null,
            var u when u.StartsWith('{') => null,
            var u => u,
        };
        if (unit is not null && !name.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            name += "_" + unit;
        }

        return instrument is Counter<long> or Counter<double> or ObservableCounter<long> ? name + "_total" : name;
    }

    [GeneratedRegex("haloportal_[a-z_]+")]
    private static partial Regex MetricName();
}
