using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Benchmarks;

/// <summary>The real portal on Kestrel (loopback, free port) with a temporary data folder, counting the sandbox's Graph traffic.</summary>
internal sealed class BenchmarkHost : WebApplicationFactory<Program>
{
    /// <summary>A configuration key (configured keys must be at least 32 characters).</summary>
    private const string BenchmarkApiKey = "bench-key-0123456789abcdefghijklmnopqrstuv";

    private readonly string _data = Path.Combine(Path.GetTempPath(), "haloportal-bench", Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string?> _settings;

    public BenchmarkHost(Dictionary<string, string?> settings)
    {
        _settings = settings;
        Directory.CreateDirectory(_data);
        UseKestrel(0);
    }

    public GraphTraffic Traffic { get; } = new();

    public Uri BaseAddress
    {
        get
        {
            StartServer();
            return ClientOptions.BaseAddress;
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Benchmark");
        builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(_data, "portal.db")}");
        builder.UseSetting("Portal:DataDirectory", _data);
        builder.UseSetting("Portal:DataProtection:KeyDirectory", _data + "-keys");
        builder.UseSetting("Sandbox:Enabled", "true"); // on by default only in Development
        builder.UseSetting("Portal:ApiKeys:0", BenchmarkApiKey);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new CountingFilter(Traffic)));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class CountingFilter(GraphTraffic traffic) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                if (!context.Request.Path.StartsWithSegments("/sandbox/graph"))
                {
                    await nextMiddleware(context);
                    return;
                }

                var operations = 1;
                if (context.Request.Path.Value!.EndsWith("/$batch", StringComparison.Ordinal))
                {
                    context.Request.EnableBuffering();
                    using (var json = await JsonDocument.ParseAsync(context.Request.Body))
                    {
                        operations = json.RootElement.GetProperty("requests").GetArrayLength();
                    }

                    context.Request.Body.Position = 0;
                }

                await nextMiddleware(context);
                traffic.Record(operations, context.Response.StatusCode);
            });
            next(app);
        };
    }
}

/// <summary>What reached the sandbox's Graph: HTTP requests, operations (each $batch entry counts, as Graph counts them), and 429s.</summary>
internal sealed class GraphTraffic
{
    private long _http;
    private long _operations;
    private long _throttled;

    public long Http => Interlocked.Read(ref _http);

    public long Operations => Interlocked.Read(ref _operations);

    public long Throttled => Interlocked.Read(ref _throttled);

    public void Record(int operations, int status)
    {
        Interlocked.Increment(ref _http);
        Interlocked.Add(ref _operations, operations);
        if (status == StatusCodes.Status429TooManyRequests)
        {
            Interlocked.Increment(ref _throttled);
        }
    }

    public (long Http, long Operations, long Throttled) Snapshot() => (Http, Operations, Throttled);
}

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = p / 100 * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }
}
