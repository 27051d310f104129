using System.Net.Http.Headers;

namespace HaloPortal.Benchmarks;

/// <summary>
/// Metrics on and off, for the overhead target (under 5 % CPU per email). "On" is the product as deployed with metrics: the
/// OpenTelemetry pipeline aggregating every measurement, and a Prometheus scraper reading <c>/metrics</c> every 5 s (which also runs
/// the database gauges). Each mode runs on portals of its own, one after the other, never side by side: the process's CPU time
/// covers every portal in it, so a portal idling beside the measured one would blur the difference.
/// </summary>
internal static class MetricsOverhead
{
    private const string ScraperKey = "benchmark-scraper-0123456789abcdefghijklmnop";

    /// <summary>The modes <c>--metrics on|off|both</c> asks for (both: off and on).</summary>
    public static bool[] Modes(string? option) => option switch
    {
        null or "both" => [false, true],
        "on" => [true],
        "off" => [false],
        _ => throw new ArgumentException($"--metrics {option}: use on, off or both."),
    };

    /// <summary>Modes in turn, the order alternating per run so that neither always runs on the warmer or the busier machine.</summary>
    public static IEnumerable<bool> InTurn(bool[] modes, int run) => run % 2 == 1 ? modes : modes.Reverse();

    public static string Label(bool on) => on ? "metrics on " : "metrics off";

    public static Dictionary<string, string?> Settings(bool on, IReadOnlyDictionary<string, string?>? others = null)
    {
        var settings = new Dictionary<string, string?>(others ?? new Dictionary<string, string?>())
        {
            ["Portal:Metrics:Enabled"] = on ? "true" : "false",
        };
        if (on)
        {
            settings["Portal:Metrics:ScraperKey"] = ScraperKey;
        }

        return settings;
    }

    /// <summary>How often the scraper reads <c>/metrics</c> (<c>--scrape-seconds</c>, default 5 as a Prometheus would); zero: no scraper.</summary>
    public static TimeSpan ScrapeEvery { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Scrapes every node's <c>/metrics</c> every <see cref="ScrapeEvery"/> while a metered phase runs (nothing when metrics are off).</summary>
    public static IAsyncDisposable Scrape(BenchmarkCluster cluster, bool on) => on && ScrapeEvery > TimeSpan.Zero ? new Scraper(cluster) : new Nothing();

    /// <summary>Prints the medians of CPU per email with metrics off and on and their ratio.</summary>
    public static void Summary(string what, IReadOnlyList<(bool On, double CpuMs)> runs)
    {
        var off = runs.Where(r => !r.On).Select(r => r.CpuMs).Order().ToList();
        var on = runs.Where(r => r.On).Select(r => r.CpuMs).Order().ToList();
        if (off.Count == 0 || on.Count == 0)
        {
            return;
        }

        double Median(List<double> v) => v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
        var ratio = Median(on) / Median(off);
        Console.WriteLine($"metrics overhead    {what}: CPU ms per email, median of {off.Count} off run(s) {Median(off):F3} (runs {string.Join(", ", off.Select(v => v.ToString("F3")))}), " +
                          $"of {on.Count} on run(s) {Median(on):F3} (runs {string.Join(", ", on.Select(v => v.ToString("F3")))}); on/off {ratio:P1} ({(ratio - 1) * 100:+0.0;-0.0} %, target < +5 %)");
    }

    private sealed class Scraper : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Scraper(BenchmarkCluster cluster)
        {
            var clients = cluster.Nodes.Select(n => new HttpClient { BaseAddress = n.Address }).ToList();
            foreach (var client in clients)
            {
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ScraperKey);
            }

            _loop = Task.Run(async () =>
            {
                try
                {
                    using var timer = new PeriodicTimer(ScrapeEvery);
                    do
                    {
                        foreach (var client in clients)
                        {
                            using var response = await client.GetAsync("/metrics", _stop.Token);
                            response.EnsureSuccessStatusCode();
                            await response.Content.ReadAsStringAsync(_stop.Token);
                        }
                    }
                    while (await timer.WaitForNextTickAsync(_stop.Token));
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                }
                finally
                {
                    clients.ForEach(c => c.Dispose());
                }
            });
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }

    private sealed class Nothing : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
