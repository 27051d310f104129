using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Engine.Tickets;
using HaloPortal.Engine.Tokens;
using HaloPortal.Sandbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Benchmarks;

/// <summary>
/// 1. Acknowledgement: notification POSTs at a fixed open-loop rate (one item each, distinct message ids, the right
///    clientState) against the receiver; latency per POST, and loss = 202s answered minus requests committed.
///    The worker is paused in this phase so the numbers are the acknowledgement path alone (the ids do not exist).
/// 2. Delivery: real mail delivered into the sandbox mailbox at a steady rate; the sandbox notifies the receiver over
///    HTTP, the worker fetches and writes tickets; latency = delivery call returned → ticket committed (Ticket.CreatedAt).
/// </summary>
internal static class WebhookBenchmark
{
    public static async Task<int> RunAsync(int seconds, int[] rates, int mails, double mailRate, BenchmarkTopology topology, int runs, bool[] modes)
    {
        Console.WriteLine($"HaloPortal webhook benchmark on {topology.Label}: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        // Generator and portal share this process: enough threads up front so thread injection does not add latency.
        ThreadPool.SetMinThreads(64, 64);
        var ok = true;
        var acks = new List<(bool On, AckResult Result)>();
        var deliveries = new List<(bool On, DeliveryResult Result)>();
        for (var run = 1; run <= runs; run++)
        {
            foreach (var on in MetricsOverhead.InTurn(modes, run))
            {
                Console.WriteLine($"run {run}, {MetricsOverhead.Label(on)}:");
                await using (var cluster = StartPaused(topology, on))
                {
                    var (subscriptionId, state) = await SubscribeForAcksAsync(cluster);
                    await using (MetricsOverhead.Scrape(cluster, on))
                    {
                        foreach (var rate in rates)
                        {
                            var ack = await AckPhaseAsync(cluster, subscriptionId, state, rate, seconds);
                            Console.WriteLine(ack);
                            acks.Add((on, ack));
                            ok &= ack.Met;
                        }
                    }
                }

                await using (var cluster = BenchmarkCluster.Start(topology, MetricsOverhead.Settings(on)))
                {
                    DeliveryResult delivery;
                    await using (MetricsOverhead.Scrape(cluster, on))
                    {
                        delivery = await DeliveryPhaseAsync(cluster, topology.Nodes, mails, mailRate, details: true);
                    }

                    Console.WriteLine(delivery);
                    deliveries.Add((on, delivery));
                    ok &= delivery.Met;
                }
            }
        }

        Console.WriteLine();
        foreach (var rate in rates)
        {
            MetricsOverhead.Summary($"acknowledgements at {rate}/s (per notification)", acks.Where(a => a.Result.Rate == rate).Select(a => (a.On, a.Result.CpuMsPerNotification)).ToList());
        }

        MetricsOverhead.Summary($"{mails} mails at {mailRate}/s, delivery to ticket (per mail)", deliveries.Select(d => (d.On, d.Result.CpuMsPerMail)).ToList());
        return ok ? 0 : 1;
    }

    /// <summary>A portal whose workers are paused, so the acknowledgement path alone is measured (the notified ids do not exist).</summary>
    public static BenchmarkCluster StartPaused(BenchmarkTopology topology, bool metrics = true) =>
        BenchmarkCluster.Start(topology, MetricsOverhead.Settings(metrics, new Dictionary<string, string?> { ["Portal:Webhooks:PauseProcessing"] = "true" }));

    /// <summary>The demo mailbox's subscription (created by the first node) and its clientState in clear.</summary>
    public static async Task<(string SubscriptionId, string ClientState)> SubscribeForAcksAsync(BenchmarkCluster cluster)
    {
        var subscription = await cluster.Sandbox.SubscribeDemoMailboxAsync();
        var state = cluster.Sandbox.Services.GetRequiredService<ICredentialSecrets>().Unprotect(await ClientStateAsync(cluster, subscription.GraphSubscriptionId));
        return (subscription.GraphSubscriptionId, state);
    }

    internal sealed record AckResult(int Rate, int Seconds, int Nodes, int Sent, int Accepted, int Failed, int Committed, double Achieved, double P50, double P99, double Max,
        double CpuMsPerNotification)
    {
        public int Lost => Accepted - Committed;

        public int Target => Rate <= 200 ? 50 : 500;

        public bool Met => P99 <= Target && Lost == 0 && Failed == 0;

        public override string ToString() =>
            $"ack  {Rate,5}/s for {Seconds}s{(Nodes > 1 ? $" over {Nodes} nodes" : "")}: sent {Sent}, accepted {Accepted}, failed {Failed}, committed {Committed}, lost {Lost}; " +
            $"achieved {Achieved:F0}/s; latency p50 {P50:F1} ms, p99 {P99:F1} ms, max {Max:F1} ms (target p99 <= {Target} ms, zero lost); {CpuMsPerNotification:F3} ms CPU per notification";
    }

    /// <summary>Open-loop POSTs at <paramref name="rate"/>; with several nodes each POST goes to the next node in turn (as a round-robin proxy would).</summary>
    public static async Task<AckResult> AckPhaseAsync(BenchmarkCluster cluster, string subscriptionId, string clientState, int rate, int seconds)
    {
        var clients = cluster.Nodes.Select(node => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = node.Address,
            Timeout = TimeSpan.FromSeconds(30),
        }).ToArray();
        try
        {
            // Warm-up (JIT, connection pool, caches): not measured.
            for (var i = 0; i < 50 * clients.Length; i++)
            {
                await PostAsync(clients[i % clients.Length], Body(subscriptionId, clientState));
            }

            var before = await CommittedAsync(cluster);
            var cpu = await CpuMeter.StartAsync(cluster.Database);
            var latencies = new ConcurrentBag<double>();
            var accepted = 0;
            var failed = 0;
            var total = rate * seconds;
            var bodies = Enumerable.Range(0, total).Select(_ => Body(subscriptionId, clientState)).ToArray();
            var inFlight = new List<Task>(total);
            var clock = Stopwatch.StartNew();
            var sent = 0;
            while (sent < total)
            {
                var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * rate));
                for (; sent < due; sent++)
                {
                    var body = bodies[sent];
                    var http = clients[sent % clients.Length];
                    inFlight.Add(Task.Run(async () =>
                    {
                        var started = Stopwatch.GetTimestamp();
                        var status = await PostAsync(http, body);
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        if (status == 202)
                        {
                            Interlocked.Increment(ref accepted);
                        }
                        else
                        {
                            Interlocked.Increment(ref failed);
                        }
                    }));
                }

                await Task.Delay(2);
            }

            await Task.WhenAll(inFlight);
            var elapsed = clock.Elapsed.TotalSeconds;
            var (cpuMs, _) = await cpu.StopAsync();
            var committed = await CommittedAsync(cluster) - before;
            var sorted = latencies.Order().ToArray();
            return new AckResult(rate, seconds, clients.Length, total, accepted, failed, committed, total / elapsed, Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted[^1],
                cpuMs / total);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    internal sealed record DeliveryResult(int Mails, double MailRate, int Mailboxes, int Tickets, int Duplicates, string FoundBy, double P50, double P99, double Max,
        double CpuMsPerMail)
    {
        public bool LostNothing => Tickets == Mails && Duplicates == 0;

        public bool Met => LostNothing && P50 <= 1000 && P99 <= 3000;

        public override string ToString() =>
            $"mail {Mails} delivered at {MailRate}/s into {Mailboxes} mailbox(es): {Tickets} tickets, {Duplicates} duplicate(s) ({FoundBy}); " +
            $"delivery-to-ticket p50 {P50:F0} ms, p99 {P99:F0} ms, max {Max:F0} ms (target p50 <= 1000 ms, p99 <= 3000 ms); {CpuMsPerMail:F2} ms CPU per mail";
    }

    /// <summary>
    /// Real mail delivered at <paramref name="mailRate"/>, in turn into <paramref name="mailboxes"/> webhook mailboxes; mailbox
    /// <c>i</c> is subscribed by node <c>i mod nodes</c>, whose address is its notification URL, so every node receives
    /// notifications and processes what it received.
    /// </summary>
    public static async Task<DeliveryResult> DeliveryPhaseAsync(BenchmarkCluster cluster, int mailboxes, int mails, double mailRate, bool details)
    {
        var control = cluster.Sandbox.Services.GetRequiredService<ISandboxControl>();
        var demo = (await cluster.Sandbox.Services.GetRequiredService<ISandboxDemo>().GetAsync())!;
        var addresses = new List<string>();
        for (var m = 0; m < mailboxes; m++)
        {
            var node = cluster.Nodes[m % cluster.Nodes.Count];
            if (m == 0)
            {
                await node.SubscribeDemoMailboxAsync();
                addresses.Add(demo.SharedMailbox);
                continue;
            }

            var (_, credentialId, address) = await cluster.AddMailboxAsync($"bench-webhooks-{m + 1}", ProcessingMethod.Webhooks);
            await node.Services.GetRequiredService<ISubscriptions>().CreateAsync(credentialId, Actor.System);
            addresses.Add(address);
        }

        var delivered = new ConcurrentDictionary<string, DateTimeOffset>();
        // From the first delivery to the last ticket: the sandbox's delivery and notification, the receiver, the worker.
        var cpu = await CpuMeter.StartAsync(cluster.Database);
        var cpuMs = double.NaN;
        var clock = Stopwatch.StartNew();
        var tasks = new List<Task>();
        for (var i = 0; i < mails; i++)
        {
            var due = TimeSpan.FromSeconds(i / mailRate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            var to = addresses[i % addresses.Count];
            var messageId = $"bench.{i}.{Guid.NewGuid():N}@customer.example";
            var mime = $"From: Customer {i} <customer{i % 40}@customer.example>\r\nTo: {to}\r\nSubject: Benchmark mail {i}\r\n" +
                       $"Date: {DateTimeOffset.UtcNow:R}\r\nMessage-ID: <{messageId}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBenchmark body {i}.\r\n";
            tasks.Add(Task.Run(async () =>
            {
                await control.DeliverMimeAsync(to, new MemoryStream(Encoding.UTF8.GetBytes(mime)));
                delivered[messageId] = DateTimeOffset.UtcNow;
            }));
        }

        await Task.WhenAll(tasks);
        var contexts = cluster.Contexts;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        Dictionary<string, DateTimeOffset> tickets = [];
        Dictionary<string, DateTimeOffset> notified = [];
        var duplicates = 0;
        while (DateTime.UtcNow < deadline)
        {
            await using var db = await contexts.CreateDbContextAsync();
            var rows = await (from e in db.Set<InboundEmail>()
                              join t in db.Set<Ticket>() on e.TicketId equals t.Id
                              where e.InternetMessageId != null && e.InternetMessageId.StartsWith("bench.")
                              select new { e.InternetMessageId, t.CreatedAt }).ToListAsync();
            tickets = rows.GroupBy(r => r.InternetMessageId!).ToDictionary(g => g.Key, g => g.Min(r => r.CreatedAt));
            if (tickets.Count >= mails)
            {
                (cpuMs, _) = await cpu.StopAsync();
                // Let a second ticket for the same mail (if the engine made one) land before counting.
                await Task.Delay(1000);
                notified = (await db.Set<InboundEmail>().Where(e => e.InternetMessageId != null && e.InternetMessageId.StartsWith("bench."))
                        .Select(e => new { e.InternetMessageId, e.CreatedAt }).ToListAsync())
                    .GroupBy(e => e.InternetMessageId!).ToDictionary(g => g.Key, g => g.Min(e => e.CreatedAt));
                var emails = await db.Set<InboundEmail>().CountAsync(e => e.InternetMessageId != null && e.InternetMessageId.StartsWith("bench."));
                var messages = await db.Set<TicketMessage>().Where(m => m.InternetMessageId != null && m.InternetMessageId.StartsWith("bench."))
                    .Select(m => m.InternetMessageId).ToListAsync();
                duplicates = (emails - notified.Count) + (messages.Count - messages.Distinct().Count());
                break;
            }

            await Task.Delay(250);
        }

        var latencies = delivered.Where(d => tickets.ContainsKey(d.Key))
            .Select(d => Math.Max(0, (tickets[d.Key] - d.Value).TotalMilliseconds)).Order().ToArray();
        var foundBy = await FoundByAsync(contexts);
        if (details)
        {
            await StagesAsync(contexts);
            var toNotified = delivered.Where(d => notified.ContainsKey(d.Key)).Select(d => Math.Max(0, (notified[d.Key] - d.Value).TotalMilliseconds)).Order().ToArray();
            var toTicket = notified.Where(n => tickets.ContainsKey(n.Key)).Select(n => (tickets[n.Key] - n.Value).TotalMilliseconds).Order().ToArray();
            Console.WriteLine($"     breakdown: delivery→notification committed p50 {Percentile(toNotified, 0.5):F0} ms, p99 {Percentile(toNotified, 0.99):F0} ms; " +
                              $"notification→ticket p50 {Percentile(toTicket, 0.5):F0} ms, p99 {Percentile(toTicket, 0.99):F0} ms");
        }

        return new DeliveryResult(mails, mailRate, mailboxes, tickets.Count, duplicates, foundBy,
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.Length > 0 ? latencies[^1] : 0, cpuMs / mails);
    }

    /// <summary>Where the time goes, from the request logs: queued → fetch started → fetched → ticket decided.</summary>
    private static async Task StagesAsync(IDbContextFactory<PortalDbContext> contexts)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var logs = await (from r in db.Set<InboundRequest>()
                          join e in db.Set<InboundEmail>() on r.InboundEmailId equals e.Id
                          where r.Kind == RequestKind.Webhook && e.InternetMessageId != null && e.InternetMessageId.StartsWith("bench.") && r.Outcome == RequestOutcome.Succeeded
                          select r.LogJson).ToListAsync();
        var queued = new List<double>();
        var fetch = new List<double>();
        var decide = new List<double>();
        var retries = 0;
        foreach (var json in logs)
        {
            var lines = JsonSerializer.Deserialize<List<LogLine>>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web)) ?? [];
            var ack = lines.FirstOrDefault(l => l.Message.Contains("acknowledged"));
            var start = lines.FirstOrDefault(l => l.Message.StartsWith("Fetching"));
            var done = lines.FirstOrDefault(l => l.Message.StartsWith("Fetched"));
            var ticket = lines.FirstOrDefault(l => l.Message.StartsWith("Opened") || l.Message.Contains("ticket"));
            retries += lines.Count(l => l.Level != "Info");
            if (ack is null || start is null || done is null || ticket is null)
            {
                continue;
            }

            queued.Add((start.At - ack.At).TotalMilliseconds);
            fetch.Add((done.At - start.At).TotalMilliseconds);
            decide.Add((ticket.At - done.At).TotalMilliseconds);
        }

        double P(List<double> v, double q) => Percentile(v.Order().ToArray(), q);
        Console.WriteLine($"     stages (p50/p99 ms): queued {P(queued, .5):F0}/{P(queued, .99):F0}, fetch {P(fetch, .5):F0}/{P(fetch, .99):F0}, " +
                          $"fetched→decided {P(decide, .5):F0}/{P(decide, .99):F0}; warnings in logs: {retries}");
    }

    private static async Task<string> FoundByAsync(IDbContextFactory<PortalDbContext> contexts)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var counts = await db.Set<InboundEmail>().Where(e => e.InternetMessageId != null && e.InternetMessageId.StartsWith("bench."))
            .GroupBy(e => e.FoundBy).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
        return string.Join(", ", counts.Select(c => $"found by {c.Key}: {c.Count}"));
    }

    private static byte[] Body(string subscriptionId, string clientState)
    {
        var id = "AAMk" + Guid.NewGuid().ToString("N");
        return JsonSerializer.SerializeToUtf8Bytes(new
        {
            value = new[]
            {
                new
                {
                    subscriptionId,
                    subscriptionExpirationDateTime = "2030-01-01T00:00:00.0000000+00:00",
                    changeType = "created",
                    resource = $"Users/bench/Messages/{id}",
                    resourceData = new Dictionary<string, string> { ["@odata.type"] = "#Microsoft.Graph.Message", ["@odata.id"] = $"Users/bench/Messages/{id}", ["id"] = id },
                    clientState,
                    tenantId = Guid.Empty.ToString(),
                },
            },
        });
    }

    private static async Task<int> PostAsync(HttpClient http, byte[] body)
    {
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync("/api/graph/notifications", content);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
        catch (TaskCanceledException)
        {
            return -1;
        }
    }

    private static async Task<string> ClientStateAsync(BenchmarkCluster cluster, string graphId)
    {
        await using var db = await cluster.Contexts.CreateDbContextAsync();
        return await db.Set<GraphSubscription>().Where(s => s.GraphSubscriptionId == graphId).Select(s => s.ClientStateProtected).SingleAsync();
    }

    private static async Task<int> CommittedAsync(BenchmarkCluster cluster)
    {
        await using var db = await cluster.Contexts.CreateDbContextAsync();
        return await db.Set<InboundRequest>().CountAsync(r => r.Kind == RequestKind.Webhook);
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
