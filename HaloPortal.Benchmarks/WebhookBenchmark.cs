using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
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
    public static async Task<int> RunAsync(int seconds, int[] rates, int mails, double mailRate)
    {
        Console.WriteLine($"HaloPortal webhook benchmark: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        // Generator and portal share this process: enough threads up front so thread injection does not add latency.
        ThreadPool.SetMinThreads(64, 64);
        var ok = true;
        await using (var portal = new BenchmarkPortal(pauseProcessing: true))
        {
            var subscription = await portal.SubscribeDemoMailboxAsync();
            var state = portal.Services.GetRequiredService<ICredentialSecrets>().Unprotect(await ClientStateAsync(portal, subscription.GraphSubscriptionId));
            foreach (var rate in rates)
            {
                ok &= await AckPhaseAsync(portal, subscription.GraphSubscriptionId, state, rate, seconds);
            }
        }

        await using (var portal = new BenchmarkPortal(pauseProcessing: false))
        {
            await portal.SubscribeDemoMailboxAsync();
            ok &= await DeliveryPhaseAsync(portal, mails, mailRate);
        }

        return ok ? 0 : 1;
    }

    private static async Task<bool> AckPhaseAsync(BenchmarkPortal portal, string subscriptionId, string clientState, int rate, int seconds)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = portal.Address,
            Timeout = TimeSpan.FromSeconds(30),
        };
        var before = await CommittedAsync(portal);

        // Warm-up (JIT, connection pool, caches): not measured.
        for (var i = 0; i < 50; i++)
        {
            await PostAsync(http, Body(subscriptionId, clientState));
        }

        before = await CommittedAsync(portal);
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
        var committed = await CommittedAsync(portal) - before;
        var sorted = latencies.Order().ToArray();
        var p50 = Percentile(sorted, 0.50);
        var p99 = Percentile(sorted, 0.99);
        var target = rate <= 200 ? 50 : 500;
        var lost = accepted - committed;
        Console.WriteLine($"ack  {rate,5}/s for {seconds}s: sent {total}, accepted {accepted}, failed {failed}, committed {committed}, lost {lost}; " +
                          $"achieved {total / elapsed:F0}/s; latency p50 {p50:F1} ms, p99 {p99:F1} ms, max {sorted[^1]:F1} ms (target p99 <= {target} ms, zero lost)");
        return p99 <= target && lost == 0 && failed == 0;
    }

    private static async Task<bool> DeliveryPhaseAsync(BenchmarkPortal portal, int mails, double mailRate)
    {
        var control = portal.Services.GetRequiredService<ISandboxControl>();
        var demo = (await portal.Services.GetRequiredService<ISandboxDemo>().GetAsync())!;
        var delivered = new ConcurrentDictionary<string, DateTimeOffset>();
        var clock = Stopwatch.StartNew();
        var tasks = new List<Task>();
        for (var i = 0; i < mails; i++)
        {
            var due = TimeSpan.FromSeconds(i / mailRate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            var messageId = $"bench.{i}.{Guid.NewGuid():N}@customer.example";
            var mime = $"From: Customer {i} <customer{i % 40}@customer.example>\r\nTo: {demo.SharedMailbox}\r\nSubject: Benchmark mail {i}\r\n" +
                       $"Date: {DateTimeOffset.UtcNow:R}\r\nMessage-ID: <{messageId}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBenchmark body {i}.\r\n";
            tasks.Add(Task.Run(async () =>
            {
                await control.DeliverMimeAsync(demo.SharedMailbox, new MemoryStream(Encoding.UTF8.GetBytes(mime)));
                delivered[messageId] = DateTimeOffset.UtcNow;
            }));
        }

        await Task.WhenAll(tasks);
        var contexts = portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        Dictionary<string, DateTimeOffset> tickets = [];
        Dictionary<string, DateTimeOffset> notified = [];
        while (DateTime.UtcNow < deadline)
        {
            await using var db = await contexts.CreateDbContextAsync();
            tickets = await (from e in db.Set<InboundEmail>()
                             join t in db.Set<Ticket>() on e.TicketId equals t.Id
                             where e.InternetMessageId != null && e.InternetMessageId.StartsWith("bench.")
                             select new { e.InternetMessageId, t.CreatedAt }).ToDictionaryAsync(x => x.InternetMessageId!, x => x.CreatedAt);
            if (tickets.Count >= mails)
            {
                notified = await db.Set<InboundEmail>().Where(e => e.InternetMessageId != null && e.InternetMessageId.StartsWith("bench."))
                    .ToDictionaryAsync(e => e.InternetMessageId!, e => e.CreatedAt);
                break;
            }

            await Task.Delay(250);
        }

        var latencies = delivered.Where(d => tickets.ContainsKey(d.Key))
            .Select(d => Math.Max(0, (tickets[d.Key] - d.Value).TotalMilliseconds)).Order().ToArray();
        var foundBy = await FoundByAsync(contexts);
        await StagesAsync(contexts);
        var toNotified = delivered.Where(d => notified.ContainsKey(d.Key)).Select(d => Math.Max(0, (notified[d.Key] - d.Value).TotalMilliseconds)).Order().ToArray();
        var toTicket = notified.Where(n => tickets.ContainsKey(n.Key)).Select(n => (tickets[n.Key] - n.Value).TotalMilliseconds).Order().ToArray();
        Console.WriteLine($"     breakdown: delivery→notification committed p50 {Percentile(toNotified, 0.5):F0} ms, p99 {Percentile(toNotified, 0.99):F0} ms; " +
                          $"notification→ticket p50 {Percentile(toTicket, 0.5):F0} ms, p99 {Percentile(toTicket, 0.99):F0} ms");
        var p50 = Percentile(latencies, 0.50);
        var p99 = Percentile(latencies, 0.99);
        Console.WriteLine($"mail {mails} delivered at {mailRate}/s: {tickets.Count} tickets ({foundBy}); delivery-to-ticket p50 {p50:F0} ms, p99 {p99:F0} ms, max {(latencies.Length > 0 ? latencies[^1] : 0):F0} ms (target p50 <= 1000 ms, p99 <= 3000 ms)");
        return tickets.Count == mails && p50 <= 1000 && p99 <= 3000;
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

    private static async Task<string> ClientStateAsync(BenchmarkPortal portal, string graphId)
    {
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await db.Set<GraphSubscription>().Where(s => s.GraphSubscriptionId == graphId).Select(s => s.ClientStateProtected).SingleAsync();
    }

    private static async Task<int> CommittedAsync(BenchmarkPortal portal)
    {
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await db.Set<InboundRequest>().CountAsync(r => r.Kind == RequestKind.Webhook);
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
