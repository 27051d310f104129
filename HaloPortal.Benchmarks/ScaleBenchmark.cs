using System.Globalization;
using HaloPortal.Engine.Data;

namespace HaloPortal.Benchmarks;

/// <summary>
/// SQLite on 1 node, PostgreSQL on 1 node and PostgreSQL on 2 nodes, measured the same way in one run and compared with SQLite:
/// ingestion of a backlog (emails/s, CPU per email), webhook acknowledgement at a fixed rate (p99) and delivery to ticket through
/// webhooks (p50/p99). Every configuration sees the same work: two mailboxes, imported (and subscribed) by node <c>i mod nodes</c>,
/// so with two nodes each node imports one, receives the notifications of one and gets every other acknowledgement POST.
/// The configurations take turns within each repetition (the machine's other load falls on all of them alike); the table shows
/// the medians of the repetitions.
/// </summary>
internal static class ScaleBenchmark
{
    private const int Mailboxes = 2;
    private const int WarmUp = 100;

    private static readonly BenchmarkTopology[] Topologies =
    [
        new(DatabaseProvider.Sqlite, 1),
        new(DatabaseProvider.PostgreSql, 1),
        new(DatabaseProvider.PostgreSql, 2),
    ];

    public static async Task<int> RunAsync(int runs, int backlog, int ackRate, int ackSeconds, int mails, double mailRate)
    {
        Console.WriteLine($"Scale benchmark: {Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {LoadAverage()}; {runs} repetition(s) of: " +
                          $"ingest {backlog} emails from {Mailboxes} mailboxes, acknowledge {ackRate} notifications/s for {ackSeconds} s, deliver {mails} mails at {mailRate}/s through webhooks");
        ThreadPool.SetMinThreads(64, 64);
        var results = Topologies.ToDictionary(t => t, _ => new List<Sample>());
        for (var run = 1; run <= runs; run++)
        {
            foreach (var topology in Topologies)
            {
                var sample = await SampleAsync(topology, run, backlog, ackRate, ackSeconds, mails, mailRate);
                results[topology].Add(sample);
                Console.WriteLine($"  run {run} {topology.Label,-22} {sample.Ingestion.Rate,6:F0} emails/s, {sample.Ingestion.CpuMsPerEmail:F2} + {sample.Ingestion.PostgreSqlCpuMsPerEmail:F2} ms CPU per email, " +
                                  $"ack p99 {sample.Ack.P99:F1} ms (lost {sample.Ack.Lost}, failed {sample.Ack.Failed}), delivery->ticket p50 {sample.Delivery.P50:F0} ms p99 {sample.Delivery.P99:F0} ms; " +
                                  $"ingestion {sample.Ingestion.Verdict}, delivery {sample.Delivery.Tickets}/{sample.Delivery.Mails} tickets {sample.Delivery.Duplicates} duplicate(s) (load average {LoadAverage()})");
            }
        }

        var rows = Topologies.Select(t => new Row(t, results[t])).ToList();
        var sqlite = rows[0];
        Console.WriteLine();
        Console.WriteLine($"== Medians of {runs} repetition(s); ratios to SQLite, 1 node ==");
        Console.WriteLine("| configuration | emails/s | CPU ms/email (process) | + PostgreSQL backends | ack p99 at " + ackRate.ToString(CultureInfo.InvariantCulture) +
                          "/s | delivery→ticket p50 | delivery→ticket p99 | lost or doubled |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var row in rows)
        {
            Console.WriteLine($"| {row.Topology.Label} | {row.Rate:F0} ({row.Rate / sqlite.Rate:P0}) | {row.Cpu:F2} ({row.Cpu / sqlite.Cpu:P0}) | " +
                              $"{row.PostgreSqlCpu:F2} (total {(row.Cpu + row.PostgreSqlCpu) / (sqlite.Cpu + sqlite.PostgreSqlCpu):P0}) | " +
                              $"{row.AckP99:F1} ms ({row.AckP99 / sqlite.AckP99:P0}) | {row.DeliveryP50:F0} ms ({row.DeliveryP50 / sqlite.DeliveryP50:P0}) | " +
                              $"{row.DeliveryP99:F0} ms ({row.DeliveryP99 / sqlite.DeliveryP99:P0}) | {row.Losses} |");
        }

        var pg1 = rows[1];
        var pg2 = rows[2];
        var targets = new (string Name, bool Met, string Figure)[]
        {
            ("PostgreSQL 1 node >= 70% of SQLite's rate", pg1.Rate >= 0.7 * sqlite.Rate, $"{pg1.Rate / sqlite.Rate:P0}"),
            ("PostgreSQL 2 nodes >= 90% of 1 node's rate", pg2.Rate >= 0.9 * pg1.Rate, $"{pg2.Rate / pg1.Rate:P0}"),
            ("PostgreSQL 2 nodes lose nothing (tickets == mails, no duplicates, no lost acknowledgement)", pg2.LostNothing, pg2.Losses),
            ($"ack p99 <= 50 ms at {ackRate}/s on PostgreSQL, 1 node", pg1.AckP99 <= 50, $"{pg1.AckP99:F1} ms"),
            ($"ack p99 <= 50 ms at {ackRate}/s on PostgreSQL, 2 nodes", pg2.AckP99 <= 50, $"{pg2.AckP99:F1} ms"),
        };
        Console.WriteLine();
        foreach (var (name, met, figure) in targets)
        {
            Console.WriteLine($"{(met ? "met   " : "MISSED")} {name}: {figure}");
        }

        return targets.All(t => t.Met) && rows.All(r => r.LostNothing) ? 0 : 1;
    }

    private sealed record Sample(IngestionBenchmark.PhaseResult Ingestion, WebhookBenchmark.AckResult Ack, WebhookBenchmark.DeliveryResult Delivery);

    private sealed class Row(BenchmarkTopology topology, List<Sample> samples)
    {
        public BenchmarkTopology Topology => topology;

        public double Rate => Median(samples.Select(s => s.Ingestion.Rate));

        public double Cpu => Median(samples.Select(s => s.Ingestion.CpuMsPerEmail));

        public double PostgreSqlCpu => Median(samples.Select(s => s.Ingestion.PostgreSqlCpuMsPerEmail));

        public double AckP99 => Median(samples.Select(s => s.Ack.P99));

        public double DeliveryP50 => Median(samples.Select(s => s.Delivery.P50));

        public double DeliveryP99 => Median(samples.Select(s => s.Delivery.P99));

        public bool LostNothing => samples.All(s => s.Ingestion.LostNothing && s.Ack.Lost == 0 && s.Ack.Failed == 0 && s.Delivery.LostNothing);

        public string Losses => LostNothing
            ? "none"
            : string.Join("; ", samples.Select((s, i) => $"run {i + 1}: ingestion {s.Ingestion.Verdict}, ack lost {s.Ack.Lost} failed {s.Ack.Failed}, " +
                                                         $"delivery {s.Delivery.Tickets}/{s.Delivery.Mails} tickets {s.Delivery.Duplicates} duplicate(s)"));

        private static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        }
    }

    private static async Task<Sample> SampleAsync(BenchmarkTopology topology, int run, int backlog, int ackRate, int ackSeconds, int mails, double mailRate)
    {
        IngestionBenchmark.PhaseResult ingestion;
        WebhookBenchmark.AckResult ack;
        Console.WriteLine($"run {run}, {topology.Label}:");
        await using (var cluster = BenchmarkCluster.Start(topology, new Dictionary<string, string?>
        {
            ["Portal:Webhooks:PauseProcessing"] = "true", // the acknowledgement path alone; the scan's import does not use the webhook worker
            ["Portal:Ingestion:ScanIntervalMinutes"] = "1440",
        }))
        {
            // Not measured: the JIT, the connection pools and the caches of every node warm up on a small import first.
            await IngestionBenchmark.PhaseAsync(cluster, $"bench-warm-{run}", WarmUp, Mailboxes, throttling: false);
            ingestion = await IngestionBenchmark.PhaseAsync(cluster, $"bench-scale-{run}", backlog, Mailboxes, throttling: false);
            var (subscriptionId, state) = await WebhookBenchmark.SubscribeForAcksAsync(cluster);
            ack = await WebhookBenchmark.AckPhaseAsync(cluster, subscriptionId, state, ackRate, ackSeconds);
        }

        await using (var cluster = BenchmarkCluster.Start(topology))
        {
            var delivery = await WebhookBenchmark.DeliveryPhaseAsync(cluster, Mailboxes, mails, mailRate, details: false);
            return new Sample(ingestion, ack, delivery);
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
