using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Threading.RateLimiting;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace HaloPortal.Hosting;

/// <summary>
/// Limits on failed anonymous attempts per client IP address (section <c>Portal:RateLimits</c>). Only failures are counted
/// (a webhook POST that carried no item for a known subscription, a wrong password, an unknown API key), so real traffic
/// never uses up the allowance; a client over it is answered 429 with Retry-After before its request is looked at.
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "Portal:RateLimits";

    /// <summary>Webhook requests per client and minute that carried no known-subscription item (unknown ids, wrong clientState, malformed, too large) or were validation handshakes.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Portal:RateLimits:WebhookFailuresPerMinute must be between 1 and 1000000.")]
    public int WebhookFailuresPerMinute { get; set; } = 60;

    /// <summary>Failed sign-ins per client within <see cref="SignInWindowMinutes"/>.</summary>
    [Range(1, 10_000, ErrorMessage = "Portal:RateLimits:SignInFailures must be between 1 and 10000.")]
    public int SignInFailures { get; set; } = 20;

    [Range(1, 1_440, ErrorMessage = "Portal:RateLimits:SignInWindowMinutes must be between 1 and 1440.")]
    public int SignInWindowMinutes { get; set; } = 15;

    /// <summary>Requests per client and minute with an unknown or revoked X-Api-Key.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Portal:RateLimits:ApiKeyFailuresPerMinute must be between 1 and 1000000.")]
    public int ApiKeyFailuresPerMinute { get; set; } = 30;
}

/// <summary>What a counted failure was.</summary>
internal enum ClientFailure
{
    Webhook,
    SignIn,
    ApiKey,
}

/// <summary>
/// Failures per (kind, client IP address) in fixed windows on the injected clock. Memory is bounded: past
/// <see cref="MaxClients"/> entries the expired windows are dropped.
/// </summary>
internal sealed class ClientFailures(TimeProvider time, IOptions<RateLimitOptions> options)
{
    internal const int MaxClients = 100_000;
    private readonly ConcurrentDictionary<(ClientFailure, string), Window> _windows = new();

    private sealed class Window
    {
        public DateTimeOffset Start;
        public int Count;
    }

    /// <summary>How long the client must wait, or null when it may try.</summary>
    public TimeSpan? RetryAfter(ClientFailure kind, IPAddress? client)
    {
        if (!_windows.TryGetValue((kind, Key(client)), out var window))
        {
            return null;
        }

        var (limit, length) = Limit(kind);
        var now = time.GetUtcNow();
        lock (window)
        {
            var ends = window.Start + length;
            return window.Count >= limit && now < ends ? ends - now : null;
        }
    }

    /// <summary>Counts one failure of the client.</summary>
    public void Record(ClientFailure kind, IPAddress? client)
    {
        var now = time.GetUtcNow();
        var (_, length) = Limit(kind);
        if (_windows.Count >= MaxClients)
        {
            foreach (var (key, stale) in _windows)
            {
                if (stale.Start + length <= now)
                {
                    _windows.TryRemove(key, out _);
                }
            }
        }

        var window = _windows.GetOrAdd((kind, Key(client)), _ => new Window { Start = now });
        lock (window)
        {
            if (now >= window.Start + length)
            {
                window.Start = now;
                window.Count = 0;
            }

            window.Count++;
        }
    }

    /// <summary>The partition key of a client: its address (IPv4-mapped IPv6 as IPv4).</summary>
    public static string Key(IPAddress? client) =>
        client is null ? "unknown" : (client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client).ToString();

    private (int Limit, TimeSpan Window) Limit(ClientFailure kind)
    {
        var o = options.Value;
        return kind switch
        {
            ClientFailure.Webhook => (o.WebhookFailuresPerMinute, TimeSpan.FromMinutes(1)),
            ClientFailure.SignIn => (o.SignInFailures, TimeSpan.FromMinutes(o.SignInWindowMinutes)),
            _ => (o.ApiKeyFailuresPerMinute, TimeSpan.FromMinutes(1)),
        };
    }
}

/// <summary>ASP.NET Core rate limiting for the anonymous endpoints, partitioned per client IP, on the failures counted by <see cref="ClientFailures"/>.</summary>
public static class RateLimitExtensions
{
    /// <summary>The policy of Graph's webhook endpoints (<c>/api/graph/...</c>).</summary>
    public const string GraphWebhooksPolicy = "graph-webhooks";

    public static WebApplicationBuilder AddPortalRateLimits(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ClientFailures>();
        services.AddRateLimiter(options =>
        {
            options.AddPolicy(GraphWebhooksPolicy, http =>
            {
                var failures = http.RequestServices.GetRequiredService<ClientFailures>();
                var client = http.Connection.RemoteIpAddress;
                return RateLimitPartition.Get(ClientFailures.Key(client), _ => new BlockedClientLimiter(failures, ClientFailure.Webhook, client));
            });
            options.OnRejected = (context, cancellationToken) =>
            {
                var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
                context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimitExtensions))
                    .LogDebug("Refused a request from {Client}: over its failure limit", LogText.Clean(context.HttpContext.Connection.RemoteIpAddress));
                return new ValueTask(TooManyAttempts(context.HttpContext, wait, "This client sent too many requests that carried no notification for a known subscription.")
                    .ExecuteAsync(context.HttpContext));
            };
        });
        return builder;
    }

    /// <summary>A 429 problem with Retry-After (whole seconds, at least 1).</summary>
    public static IResult TooManyAttempts(HttpContext http, TimeSpan wait, string detail)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Problem(title: "Too many attempts", detail: $"{detail} Try again in {Plural.Of(seconds, "second")}.", statusCode: StatusCodes.Status429TooManyRequests);
    }

    /// <summary>
    /// Grants every request of a client that is not over its failure limit: requests are not what is counted (the endpoint
    /// records failures once it knows), so a client sending real notifications is never slowed down.
    /// </summary>
    private sealed class BlockedClientLimiter(ClientFailures failures, ClientFailure kind, IPAddress? client) : RateLimiter
    {
        public override TimeSpan? IdleDuration => TimeSpan.FromMinutes(1);

        public override RateLimiterStatistics? GetStatistics() => null;

        protected override RateLimitLease AttemptAcquireCore(int permitCount) => new Lease(failures.RetryAfter(kind, client));

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            ValueTask.FromResult(AttemptAcquireCore(permitCount));
    }

    private sealed class Lease(TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => retryAfter is null;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
