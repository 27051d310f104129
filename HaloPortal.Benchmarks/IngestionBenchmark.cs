using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
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
    public static async Task RunAsync(int backlog, int limitedBacklog, int runs)
    {
        Console.WriteLine($"Ingestion benchmark: {Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {LoadAverage()}");
        var results = new List<PhaseResult>();
        await using (var freeHost = new BenchmarkHost(new() { ["Portal:Ingestion:ScanIntervalMinutes"] = "1440" }))
        {
            _ = freeHost.BaseAddress;
            for (var run = 1; run <= runs; run++)
            {
                // Each run imports a new backlog into its own mailbox of the same running portal.
                var result = await PhaseAsync(freeHost, $"bench-free-{run}", backlog, throttling: false);
                results.Add(result);
                Console.WriteLine($"  run {run}: {result.Count / result.Seconds:F0} emails/s, {result.CpuMsPerEmail:F2} ms CPU per email (load average {LoadAverage()})");
            }
        }

        var free = results.OrderBy(r => r.Count / r.Seconds).ElementAt(results.Count / 2);
        Console.WriteLine();
        Console.WriteLine($"== Backlog of {backlog} messages, throttling off (the median of {results.Count} run(s) by rate) ==");
        Console.WriteLine($"ingested            {free.Count} in {free.Seconds:F1} s = {free.Count / free.Seconds:F0} emails/s (target >= 200); all runs: {string.Join(", ", results.Select(r => $"{r.Count / r.Seconds:F0}"))}");
        Console.WriteLine($"CPU per email       {free.CpuMsPerEmail:F2} ms (portal and sandbox together, all cores; {Environment.ProcessorCount * 1000 / free.CpuMsPerEmail:F0} emails/s if every core did nothing else)");
        Console.WriteLine($"Graph per email     {free.Http / (double)free.Count:F2} HTTP requests (target <= 1.5); {free.Operations / (double)free.Count:F2} operations when each $batch entry counts, as Graph's throttling counts them (floor 2: one $value read and one move per email)");
        Console.WriteLine($"delivery -> ticket  p50 {free.P50:F2} s, p99 {free.P99:F2} s (the backlog waits for the import to start; import start -> ticket p50 {free.FromStartP50:F2} s, p99 {free.FromStartP99:F2} s)");

        if (limitedBacklog <= 0)
        {
            return;
        }

        // Exchange's limit scaled from 10 minutes to 1, for the sandbox and the engine alike.
        await using var host = new BenchmarkHost(new()
        {
            ["Sandbox:ThrottleRequestsPerWindow"] = "1000",
            ["Sandbox:ThrottleWindowSeconds"] = "60",
            ["Portal:Graph:RequestsPerWindow"] = "1000",
            ["Portal:Graph:WindowSeconds"] = "60",
            ["Portal:Ingestion:ScanIntervalMinutes"] = "1440",
        });
        _ = host.BaseAddress;
        var limited = await PhaseAsync(host, "bench-limited", limitedBacklog, throttling: true);
        var permittedOpsPerSecond = 1000 / 60.0;
        var permittedEmailsPerSecond = permittedOpsPerSecond / (limited.Operations / (double)limited.Count);
        var drain = limited.Count / limited.Seconds;
        Console.WriteLine();
        Console.WriteLine($"== Backlog of {limitedBacklog} messages, sandbox limits on (1,000 requests / 60 s per app and mailbox, 4 concurrent) ==");
        Console.WriteLine($"ingested            {limited.Count} in {limited.Seconds:F1} s = {drain:F2} emails/s");
        Console.WriteLine($"permitted rate      {permittedOpsPerSecond:F2} operations/s / {limited.Operations / (double)limited.Count:F2} per email = {permittedEmailsPerSecond:F2} emails/s");
        Console.WriteLine($"drain share         {drain / permittedEmailsPerSecond:P0} of the permitted rate (target >= 90%); the first window's allowance is a burst, so short runs read above 100%");
        Console.WriteLine($"429 responses       {limited.Throttled} (target 0)");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private sealed record PhaseResult(int Count, double Seconds, long Http, long Operations, long Throttled, double P50, double P99, double FromStartP50, double FromStartP99, double CpuMsPerEmail);

    private static async Task<PhaseResult> PhaseAsync(BenchmarkHost host, string name, int count, bool throttling)
    {
        var services = host.Services;
        var control = services.GetRequiredService<ISandboxControl>();
        var demo = await services.GetRequiredService<ISandboxDemo>().GetAsync() ?? throw new InvalidOperationException("The sandbox demo tenant was not seeded.");
        await control.SetThrottlingAsync(demo.TenantId.ToString(), throttling);
        var address = $"{name}@{demo.DefaultDomain}";
        await control.CreateUserAsync(demo.TenantId.ToString(), new SandboxNewUser(address, name, null, SandboxMailboxType.Shared));

        var mailbox = await services.GetRequiredService<IMailboxes>().CreateAsync(name, MailboxConnectionType.Office365Azure, Actor.System);
        var credential = await services.GetRequiredService<ICredentials>().CreateAsync(mailbox.Id, new CredentialInput
        {
            AuthMethod = AuthMethod.ClientCredentials,
            CredentialType = CredentialType.ClientSecret,
            ProcessingMethod = ProcessingMethod.MailboxScan,
            Authority = GraphAuthority.Sandbox,
            TenantId = demo.TenantId.ToString(),
            ClientId = demo.AppId.ToString(),
            ClientSecret = demo.ClientSecret,
            EmailAddress = address,
        }, Actor.System);
        var test = await services.GetRequiredService<ICredentialConnections>().TestAsync(credential.Id);
        if (!test.Ok)
        {
            throw new InvalidOperationException($"Test connection failed: {test.Error?.Message}");
        }

        Console.Write($"delivering {count} messages to {address} ... ");
        var delivered = new ConcurrentDictionary<string, DateTimeOffset>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            var id = $"{Guid.NewGuid():N}@bench.example";
            var mime = $"From: Customer {i} <customer{i % 97}@bench.example>\r\nTo: {address}\r\nSubject: Benchmark request {i}\r\nDate: {DateTimeOffset.UtcNow:R}\r\n" +
                       $"Message-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, this is request {i}. Something is broken again.\r\n";
            await control.DeliverMimeAsync(address, new MemoryStream(Encoding.UTF8.GetBytes(mime)), cancellationToken: ct);
            delivered[id] = DateTimeOffset.UtcNow;
        });
        Console.WriteLine("done");

        var before = host.Traffic.Snapshot();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var started = DateTimeOffset.UtcNow;
        var stopwatch = Stopwatch.StartNew();
        var report = await services.GetRequiredService<IMailboxScanner>().ImportAsync(mailbox.Id);
        if (report.Error is not null)
        {
            throw new InvalidOperationException($"Import failed: {report.Error.Message}");
        }

        var contexts = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        while (true)
        {
            await using var db = await contexts.CreateDbContextAsync();
            var done = await db.Set<InboundEmail>().CountAsync(e => e.MailboxId == mailbox.Id && e.Stage == InboundStage.Done);
            if (done >= count)
            {
                break;
            }

            await Task.Delay(20);
        }

        stopwatch.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var after = host.Traffic.Snapshot();
        List<(string? Id, DateTimeOffset Created)> tickets;
        await using (var db = await contexts.CreateDbContextAsync())
        {
            tickets = (await db.Set<TicketMessage>().Where(m => m.InternetMessageId != null && m.InternetMessageId.EndsWith("@bench.example"))
                    .Join(db.Set<Ticket>(), m => m.TicketId, t => t.Id, (m, t) => new { m.InternetMessageId, m.CreatedAt })
                    .ToListAsync())
                .Select(x => (x.InternetMessageId, x.CreatedAt)).ToList();
        }

        var latencies = tickets.Where(t => t.Id is not null && delivered.ContainsKey(t.Id)).Select(t => (t.Created - delivered[t.Id!]).TotalSeconds).Order().ToList();
        var fromStart = tickets.Where(t => t.Id is not null && delivered.ContainsKey(t.Id)).Select(t => (t.Created - started).TotalSeconds).Order().ToList();
        return new PhaseResult(count, stopwatch.Elapsed.TotalSeconds, after.Http - before.Http, after.Operations - before.Operations, after.Throttled - before.Throttled,
            Stats.Percentile(latencies, 50), Stats.Percentile(latencies, 99), Stats.Percentile(fromStart, 50), Stats.Percentile(fromStart, 99), cpu.TotalMilliseconds / count);
    }
}
