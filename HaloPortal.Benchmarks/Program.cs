using System.Globalization;

namespace HaloPortal.Benchmarks;

/// <summary>Usage: <c>dotnet run -c Release --project HaloPortal.Benchmarks -- &lt;benchmark&gt; [options]</c>.</summary>
internal static class BenchmarkProgram
{
    private const string Usage = """
        usage: dotnet run -c Release --project HaloPortal.Benchmarks -- <benchmark> [options]
          ingestion [backlog=2000] [limitedBacklog=1000] [--runs 3] [--metrics both|on|off]   mailbox-scan backlog through the sandbox, throttling off (median of the runs) then on
          webhooks [--seconds 30] [--rates 200,1000] [--mails 500] [--mail-rate 10] [--runs 1] [--metrics both|on|off]   acknowledgement latency and loss, delivery-to-ticket through webhooks
        --metrics both (the default) runs every measured phase with metrics off and on and prints the CPU per email of each and their ratio;
          with metrics on, a scraper reads /metrics every --scrape-seconds 5 (0: no scraper, the pipeline's cost alone)
          scale [--runs 3] [--backlog 1000] [--ack-rate 1000] [--ack-seconds 10] [--mails 200] [--mail-rate 20]
                SQLite 1 node, PostgreSQL 1 node and PostgreSQL 2 nodes in one run: medians and ratios to SQLite
        ingestion and webhooks also take [--provider Sqlite|PostgreSql] [--nodes 1|2] (2 nodes need PostgreSql);
        PostgreSQL: a fresh database on HALOPORTAL_BENCH_PG (default Host=127.0.0.1;Username=haloportal;Password=haloportal), dropped afterwards
        """;

    public static async Task<int> Main(string[] args)
    {
        string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        BenchmarkTopology topology;
        bool[] modes;
        try
        {
            topology = BenchmarkTopology.Parse(Option("--provider"), Option("--nodes"));
            modes = MetricsOverhead.Modes(Option("--metrics"));
            MetricsOverhead.ScrapeEvery = TimeSpan.FromSeconds(double.Parse(Option("--scrape-seconds") ?? "5", CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }

        switch (args.FirstOrDefault())
        {
            case "ingestion":
                var positional = args.Skip(1).TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
                await IngestionBenchmark.RunAsync(
                    positional.Count > 0 ? int.Parse(positional[0], CultureInfo.InvariantCulture) : 2000,
                    positional.Count > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 1000,
                    int.Parse(Option("--runs") ?? "3", CultureInfo.InvariantCulture),
                    topology,
                    modes);
                return 0;
            case "webhooks":
                var seconds = int.Parse(Option("--seconds") ?? "30", CultureInfo.InvariantCulture);
                var rates = (Option("--rates") ?? "200,1000").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();
                var mails = int.Parse(Option("--mails") ?? "500", CultureInfo.InvariantCulture);
                var mailRate = double.Parse(Option("--mail-rate") ?? "10", CultureInfo.InvariantCulture);
                var runs = int.Parse(Option("--runs") ?? "1", CultureInfo.InvariantCulture);
                return await WebhookBenchmark.RunAsync(seconds, rates, mails, mailRate, topology, runs, modes);
            case "scale":
                return await ScaleBenchmark.RunAsync(
                    int.Parse(Option("--runs") ?? "3", CultureInfo.InvariantCulture),
                    int.Parse(Option("--backlog") ?? "1000", CultureInfo.InvariantCulture),
                    int.Parse(Option("--ack-rate") ?? "1000", CultureInfo.InvariantCulture),
                    int.Parse(Option("--ack-seconds") ?? "10", CultureInfo.InvariantCulture),
                    int.Parse(Option("--mails") ?? "200", CultureInfo.InvariantCulture),
                    double.Parse(Option("--mail-rate") ?? "20", CultureInfo.InvariantCulture));
            default:
                Console.Error.WriteLine(Usage);
                return args.Length == 0 ? 0 : 2;
        }
    }
}
