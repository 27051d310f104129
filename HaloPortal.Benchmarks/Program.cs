using System.Globalization;

namespace HaloPortal.Benchmarks;

/// <summary><c>dotnet run -c Release --project HaloPortal.Benchmarks -- webhooks [--seconds 30] [--rates 200,1000] [--mails 500] [--mail-rate 10]</c></summary>
internal static class BenchmarkProgram
{
    private const string Usage = "usage: dotnet run -c Release --project HaloPortal.Benchmarks -- webhooks [--seconds 30] [--rates 200,1000] [--mails 500] [--mail-rate 10]";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] != "webhooks")
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var seconds = int.Parse(Option("--seconds") ?? "30", CultureInfo.InvariantCulture);
        var rates = (Option("--rates") ?? "200,1000").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();
        var mails = int.Parse(Option("--mails") ?? "500", CultureInfo.InvariantCulture);
        var mailRate = double.Parse(Option("--mail-rate") ?? "10", CultureInfo.InvariantCulture);
        return await WebhookBenchmark.RunAsync(seconds, rates, mails, mailRate);
    }
}
