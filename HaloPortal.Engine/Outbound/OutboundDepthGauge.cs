using System.Diagnostics.Metrics;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Outbound;

/// <summary>Outgoing mail not sent yet: queued (first attempt or waiting for a retry) and sending, from the database.</summary>
internal sealed class OutboundDepthGauge(
    IDbContextFactory<PortalDbContext> contexts,
    IOptions<MetricsOptions> options,
    TimeProvider time,
    ILogger<OutboundDepthGauge> logger) : CachedGauge(options, time, logger)
{
    protected override string Name => "haloportal.outbound.queue_depth";

    protected override string? Unit => "{email}";

    protected override string Description => "Outgoing emails (replies, acknowledgements, notifications) not sent yet: queued for a first attempt, waiting for a retry, or sending.";

    protected override IReadOnlyList<Measurement<double>> Read()
    {
        using var db = contexts.CreateDbContext();
        // Served by the (Status, NextAttemptAt) index.
        var waiting = db.Set<OutboundMessage>().AsNoTracking().Where(m => m.Status == OutboundStatus.Queued || m.Status == OutboundStatus.Sending)
            .Select(m => new { m.Status, Retry = m.Attempts > 0 })
            .GroupBy(m => new { m.Status, m.Retry }).Select(g => new { g.Key.Status, g.Key.Retry, Count = g.Count() }).ToList();
        int Count(OutboundStatus status, bool retry) => waiting.Where(w => w.Status == status && w.Retry == retry).Sum(w => w.Count);
        return
        [
            new Measurement<double>(Count(OutboundStatus.Queued, false), new KeyValuePair<string, object?>("state", "queued")),
            new Measurement<double>(Count(OutboundStatus.Queued, true), new KeyValuePair<string, object?>("state", "retrying")),
            new Measurement<double>(Count(OutboundStatus.Sending, false) + Count(OutboundStatus.Sending, true), new KeyValuePair<string, object?>("state", "sending")),
        ];
    }
}
