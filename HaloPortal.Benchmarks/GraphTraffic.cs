using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace HaloPortal.Benchmarks;

/// <summary>Counts the requests that reach the sandbox's Graph (<c>/sandbox/graph</c>) on the node serving it.</summary>
internal sealed class GraphTrafficFilter(GraphTraffic traffic) : IStartupFilter
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
