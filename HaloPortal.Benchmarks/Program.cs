using System.Globalization;

namespace HaloPortal.Benchmarks;

/// <summary>Usage: <c>dotnet run -c Release --project HaloPortal.Benchmarks -- &lt;benchmark&gt; [options]</c>.</summary>
internal static class BenchmarkProgram
{
    private const string Usage = """
        usage: dotnet run -c Release --project HaloPortal.Benchmarks -- <benchmark> [options]
          ingestion [backlog=2000] [limitedBacklog=1000] [--runs 3]   mailbox-scan backlog through the sandbox, throttling off (median of the runs) then on
          webhooks [--seconds 30] [--rates 200,1000] [--mails 500] [--mail-rate 10]   acknowledgement latency and loss, delivery-to-ticket through webhooks
        """;

    public static async Task<int> Main(string[] args)
    {
        string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        switch (args.FirstOrDefault())
        {
            case "ingestion":
                var positional = args.Skip(1).TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
                await IngestionBenchmark.RunAsync(
                    positional.Count > 0 ? int.Parse(positional[0], CultureInfo.InvariantCulture) : 2000,
                    positional.Count > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 1000,
                    int.Parse(Option("--runs") ?? "3", CultureInfo.InvariantCulture));
                return 0;
            case "webhooks":
                var seconds = int.Parse(Option("--seconds") ?? "30", CultureInfo.InvariantCulture);
                var rates = (Option("--rates") ?? "200,1000").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();
                var mails = int.Parse(Option("--mails") ?? "500", CultureInfo.InvariantCulture);
                var mailRate = double.Parse(Option("--mail-rate") ?? "10", CultureInfo.InvariantCulture);
                return await WebhookBenchmark.RunAsync(seconds, rates, mails, mailRate);
            default:
                Console.Error.WriteLine(Usage);
                return args.Length == 0 ? 0 : 2;
        }
    }
}
