using Microsoft.Extensions.Hosting;

namespace HaloPortal.Engine.Telemetry;

/// <summary>Creates the features' database gauges on the engine's meter when the host starts.</summary>
internal sealed class GaugeRegistration(PortalTelemetry telemetry, IEnumerable<CachedGauge> gauges) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var gauge in gauges)
        {
            gauge.Create(telemetry.Meter);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
