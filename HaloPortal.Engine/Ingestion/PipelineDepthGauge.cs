using System.Diagnostics.Metrics;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Ingestion;

/// <summary>
/// The pipeline's queue: unfinished emails per mailbox and stage, from the database (so it counts what every node, scan and
/// restart left, not one process's channel). One grouped count over the partial index of unfinished emails.
/// </summary>
internal sealed class PipelineDepthGauge(
    IDbContextFactory<PortalDbContext> contexts,
    MailboxNames names,
    IOptions<MetricsOptions> options,
    TimeProvider time,
    ILogger<PipelineDepthGauge> logger) : CachedGauge(options, time, logger)
{
    protected override string Name => "haloportal.pipeline.queue_depth";

    protected override string? Unit => "{email}";

    protected override string Description => "Emails not finished yet (discovered, fetched or decided, waiting or being processed), by mailbox and stage; failed ones are not counted.";

    protected override IReadOnlyList<Measurement<double>> Read()
    {
        using var db = contexts.CreateDbContext();
        var counts = db.Set<InboundEmail>().AsNoTracking()
            .Where(e => e.Stage != InboundStage.Done && e.Status != InboundStatus.Failed)
            .GroupBy(e => new { e.MailboxId, e.Stage })
            .Select(g => new { g.Key.MailboxId, g.Key.Stage, Count = g.Count() })
            .ToList();
        // Every stage of every mailbox seen is reported, 0 included, so a drained queue reads 0 rather than vanishing.
        var readings = new List<Measurement<double>>();
        foreach (var mailboxId in counts.Select(c => c.MailboxId).Distinct())
        {
            foreach (var stage in new[] { InboundStage.Discovered, InboundStage.Fetched, InboundStage.Decided })
            {
                var count = counts.FirstOrDefault(c => c.MailboxId == mailboxId && c.Stage == stage)?.Count ?? 0;
                readings.Add(new Measurement<double>(count, new("mailbox.id", mailboxId), new("mailbox.name", names.Of(mailboxId)), new("stage", stage.ToString())));
            }
        }

        return readings;
    }
}
