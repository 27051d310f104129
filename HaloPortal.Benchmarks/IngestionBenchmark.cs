using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Sandbox;
using HaloPortal.Engine.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Benchmarks;

/// <summary>
/// Ingest a backlog from the sandbox: first with throttling off (throughput, Graph requests per email, delivery-to-ticket),
/// then with the sandbox enforcing Exchange's limits (drain rate as a share of what the limits permit, and 429s).
/// The limits phase scales Exchange's 10,000 requests / 10 minutes down to the same rate over 1 minute (1,000 / 60 s) so it
/// finishes in minutes; the engine is told the same limit, as it would be told the real one.
/// </summary>
internal static class IngestionBenchmark
{
    public static async Task RunAsync(int backlog, int limitedBacklog, int runs, BenchmarkTopology topology, bool[] modes)
    {
        Console.WriteLine($"Ingestion benchmark on {topology.Label}: {Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {LoadAverage()}");
        // One mailbox per node, each node importing its own, so that every node works.
        var mailboxes = topology.Nodes;
        var free = new Dictionary<string, string?> { ["Portal:Ingestion:ScanIntervalMinutes"] = "1440" };
        // The JIT, EF Core's model and the connection pools warm up on a portal of their own (metered, so every path is compiled):
        // no measured run carries them.
        await using (var warm = BenchmarkCluster.Start(topology, MetricsOverhead.Settings(on: true, free)))
        {
            await PhaseAsync(warm, "bench-warm", Math.Min(200, backlog), mailboxes, throttling: false);
        }

        var measured = new List<(bool On, PhaseResult Result)>();
        for (var run = 1; run <= runs; run++)
        {
            foreach (var on in MetricsOverhead.InTurn(modes, run))
            {
                // A fresh portal per run and mode: metrics are switched at start-up, and two portals side by side would share listeners.
                await using var cluster = BenchmarkCluster.Start(topology, MetricsOverhead.Settings(on, free));
                PhaseResult result;
                await using (MetricsOverhead.Scrape(cluster, on))
                {
                    result = await PhaseAsync(cluster, $"bench-free-{run}-{(on ? "on" : "off")}", backlog, mailboxes, throttling: false);
                }

                measured.Add((on, result));
                Console.WriteLine($"  run {run}, {MetricsOverhead.Label(on)}: {result.Rate:F0} emails/s, {result.CpuMsPerEmail:F2} ms CPU per email{PostgreSqlCpu(result)}, {result.Verdict} (load average {LoadAverage()})");
            }
        }

        var results = measured.Select(m => m.Result).ToList();
        var median = results.OrderBy(r => r.Rate).ElementAt(results.Count / 2);
        Console.WriteLine();
        Console.WriteLine($"== Backlog of {backlog} messages in {mailboxes} mailbox(es), throttling off (the median of {results.Count} run(s) by rate) ==");
        Console.WriteLine($"ingested            {median.Count} in {median.Seconds:F1} s = {median.Rate:F0} emails/s (target >= 200); all runs: {string.Join(", ", results.Select(r => $"{r.Rate:F0}"))}");
        Console.WriteLine($"CPU per email       {median.CpuMsPerEmail:F2} ms (portal and sandbox together, all cores; {Environment.ProcessorCount * 1000 / median.CpuMsPerEmail:F0} emails/s if every core did nothing else){PostgreSqlCpu(median)}");
        Console.WriteLine($"Graph per email     {median.Http / (double)median.Count:F2} HTTP requests (target <= 1.5); {median.Operations / (double)median.Count:F2} operations when each $batch entry counts, as Graph's throttling counts them (floor 2: one $value read and one move per email)");
        Console.WriteLine($"delivery -> ticket  p50 {median.P50:F2} s, p99 {median.P99:F2} s (the backlog waits for the import to start; import start -> ticket p50 {median.FromStartP50:F2} s, p99 {median.FromStartP99:F2} s)");
        Console.WriteLine($"lost or doubled     {(results.All(r => r.LostNothing) ? "none in any run" : string.Join("; ", results.Where(r => !r.LostNothing).Select(r => r.Verdict)))}");
        MetricsOverhead.Summary($"backlog of {backlog}", measured.Select(m => (m.On, m.Result.CpuMsPerEmail)).ToList());

        if (limitedBacklog <= 0)
        {
            return;
        }

        // Exchange's limit scaled from 10 minutes to 1, for the sandbox and the engine alike.
        await using var host = BenchmarkCluster.Start(topology, new Dictionary<string, string?>
        {
            ["Sandbox:ThrottleRequestsPerWindow"] = "1000",
            ["Sandbox:ThrottleWindowSeconds"] = "60",
            ["Portal:Graph:RequestsPerWindow"] = "1000",
            ["Portal:Graph:WindowSeconds"] = "60",
            ["Portal:Ingestion:ScanIntervalMinutes"] = "1440",
        });
        var limited = await PhaseAsync(host, "bench-limited", limitedBacklog, mailboxes, throttling: true);
        var permittedOpsPerSecond = mailboxes * 1000 / 60.0; // the limit is per app and mailbox
        var permittedEmailsPerSecond = permittedOpsPerSecond / (limited.Operations / (double)limited.Count);
        Console.WriteLine();
        Console.WriteLine($"== Backlog of {limitedBacklog} messages in {mailboxes} mailbox(es), sandbox limits on (1,000 requests / 60 s per app and mailbox, 4 concurrent) ==");
        Console.WriteLine($"ingested            {limited.Count} in {limited.Seconds:F1} s = {limited.Rate:F2} emails/s; {limited.Verdict}");
        Console.WriteLine($"permitted rate      {permittedOpsPerSecond:F2} operations/s / {limited.Operations / (double)limited.Count:F2} per email = {permittedEmailsPerSecond:F2} emails/s");
        Console.WriteLine($"drain share         {limited.Rate / permittedEmailsPerSecond:P0} of the permitted rate (target >= 90%); the first window's allowance is a burst, so short runs read above 100%");
        Console.WriteLine($"429 responses       {limited.Throttled} (target 0)");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static string PostgreSqlCpu(PhaseResult result) =>
        result.PostgreSqlCpuMsPerEmail > 0 ? $" + {result.PostgreSqlCpuMsPerEmail:F2} ms in PostgreSQL's backends" : "";

    internal sealed record PhaseResult(int Count, double Seconds, long Http, long Operations, long Throttled, double P50, double P99, double FromStartP50, double FromStartP99,
        double CpuMsPerEmail, double PostgreSqlCpuMsPerEmail, int Tickets, int Duplicates)
    {
        public double Rate => Count / Seconds;

        /// <summary>Every email delivered became exactly one ticket.</summary>
        public bool LostNothing => Tickets == Count && Duplicates == 0;

        public string Verdict => $"{Tickets}/{Count} tickets, {Duplicates} duplicate(s)";
    }

    /// <summary>
    /// Delivers <paramref name="count"/> messages spread over <paramref name="mailboxes"/> new mailboxes, then imports them all at
    /// once, mailbox <c>i</c> by node <c>i mod nodes</c>, and waits until every email is Done.
    /// </summary>
    internal static async Task<PhaseResult> PhaseAsync(BenchmarkCluster cluster, string name, int count, int mailboxes, bool throttling)
    {
        var services = cluster.Sandbox.Services;
        var control = services.GetRequiredService<ISandboxControl>();
        var demo = await services.GetRequiredService<ISandboxDemo>().GetAsync() ?? throw new InvalidOperationException("The sandbox demo tenant was not seeded.");
        await control.SetThrottlingAsync(demo.TenantId.ToString(), throttling);
        var boxes = new List<(int MailboxId, string Address, BenchmarkPortal Node)>();
        for (var m = 0; m < mailboxes; m++)
        {
            var (mailboxId, _, address) = await cluster.AddMailboxAsync(mailboxes == 1 ? name : $"{name}-{m + 1}", ProcessingMethod.MailboxScan);
            boxes.Add((mailboxId, address, cluster.Nodes[m % cluster.Nodes.Count]));
        }

        Console.Write($"delivering {count} messages to {string.Join(", ", boxes.Select(b => b.Address))} ... ");
        var domain = $"{name}.bench.example";
        var delivered = new ConcurrentDictionary<string, DateTimeOffset>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            var address = boxes[i % boxes.Count].Address;
            var id = $"{Guid.NewGuid():N}@{domain}";
            var mime = $"From: Customer {i} <customer{i % 97}@bench.example>\r\nTo: {address}\r\nSubject: Benchmark request {i}\r\nDate: {DateTimeOffset.UtcNow:R}\r\n" +
                       $"Message-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, this is request {i}. Something is broken again.\r\n";
            await control.DeliverMimeAsync(address, new MemoryStream(Encoding.UTF8.GetBytes(mime)), cancellationToken: ct);
            delivered[id] = DateTimeOffset.UtcNow;
        });
        Console.WriteLine("done");

        var before = cluster.Sandbox.Traffic.Snapshot();
        var cpu = await CpuMeter.StartAsync(cluster.Database);
        var started = DateTimeOffset.UtcNow;
        var stopwatch = Stopwatch.StartNew();
        var reports = await Task.WhenAll(boxes.Select(b => b.Node.Services.GetRequiredService<IMailboxScanner>().ImportAsync(b.MailboxId)));
        if (reports.FirstOrDefault(r => r.Error is not null) is { } failed)
        {
            throw new InvalidOperationException($"Import failed: {failed.Error!.Message}");
        }

        var contexts = cluster.Contexts;
        var ids = boxes.Select(b => b.MailboxId).ToList();
        while (true)
        {
            await using var db = await contexts.CreateDbContextAsync();
            var done = await db.Set<InboundEmail>().CountAsync(e => ids.Contains(e.MailboxId) && e.Stage == InboundStage.Done);
            if (done >= count)
            {
                break;
            }

            await Task.Delay(20);
        }

        stopwatch.Stop();
        var (processMs, postgreSqlMs) = await cpu.StopAsync();
        var after = cluster.Sandbox.Traffic.Snapshot();
        List<(string? Id, int TicketId, DateTimeOffset Created)> tickets;
        await using (var db = await contexts.CreateDbContextAsync())
        {
            tickets = (await db.Set<TicketMessage>().Where(m => m.InternetMessageId != null && m.InternetMessageId.EndsWith("@" + domain))
                    .Join(db.Set<Ticket>(), m => m.TicketId, t => t.Id, (m, t) => new { m.InternetMessageId, TicketId = t.Id, m.CreatedAt })
                    .ToListAsync())
                .Select(x => (x.InternetMessageId, x.TicketId, x.CreatedAt)).ToList();
        }

        var ticketCount = tickets.Where(t => t.Id is not null && delivered.ContainsKey(t.Id)).Select(t => t.TicketId).Distinct().Count();
        var duplicates = tickets.Count - tickets.Select(t => t.Id).Distinct().Count();
        var latencies = tickets.Where(t => t.Id is not null && delivered.ContainsKey(t.Id)).Select(t => (t.Created - delivered[t.Id!]).TotalSeconds).Order().ToList();
        var fromStart = tickets.Where(t => t.Id is not null && delivered.ContainsKey(t.Id)).Select(t => (t.Created - started).TotalSeconds).Order().ToList();
        return new PhaseResult(count, stopwatch.Elapsed.TotalSeconds, after.Http - before.Http, after.Operations - before.Operations, after.Throttled - before.Throttled,
            Stats.Percentile(latencies, 50), Stats.Percentile(latencies, 99), Stats.Percentile(fromStart, 50), Stats.Percentile(fromStart, 99),
            processMs / count, postgreSqlMs / count, ticketCount, duplicates);
    }
}
