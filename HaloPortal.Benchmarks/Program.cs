namespace HaloPortal.Benchmarks;

/// <summary>Usage: <c>dotnet run -c Release --project HaloPortal.Benchmarks -- &lt;benchmark&gt; [options]</c>.</summary>
internal static class BenchmarkProgram
{
    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "ingestion":
                await IngestionBenchmark.RunAsync(
                    args.Length > 1 ? int.Parse(args[1]) : 2000,
                    args.Length > 2 ? int.Parse(args[2]) : 1000);
                return 0;
            default:
                Console.WriteLine("Benchmarks:");
                Console.WriteLine("  ingestion [backlog=2000] [limitedBacklog=1000]   mailbox-scan backlog through the sandbox, throttling off then on");
                Console.WriteLine("Run: dotnet run -c Release --project HaloPortal.Benchmarks -- ingestion");
                return args.Length == 0 ? 0 : 2;
        }
    }
}
