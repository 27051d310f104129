using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Tests.Security;

/// <summary>A webhook portal whose log lines are counted, so a test can bound what a flood writes to the log.</summary>
public sealed class CountedLogWebhookFactory : WebhookPortalFactory
{
    public CountedLogWebhookFactory() => ConfigureTestServices = services => services.AddSingleton<ILoggerProvider>(Log);

    public CountingLoggerProvider Log { get; } = new();
}

/// <summary>Counts every log line (and its characters) the portal writes at Information or above.</summary>
public sealed class CountingLoggerProvider : ILoggerProvider
{
    private long _lines;
    private long _chars;

    public ConcurrentQueue<string> Recent { get; } = new();

    public long Lines => Interlocked.Read(ref _lines);

    public long Chars => Interlocked.Read(ref _chars);

    public ILogger CreateLogger(string categoryName) => new Counter(this);

    public void Dispose()
    {
    }

    private sealed class Counter(CountingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var text = formatter(state, exception) + (exception?.Message ?? "");
            Interlocked.Increment(ref owner._lines);
            Interlocked.Add(ref owner._chars, text.Length);
            owner.Recent.Enqueue(text);
            while (owner.Recent.Count > 200 && owner.Recent.TryDequeue(out _))
            {
            }
        }
    }
}

/// <summary>Clients that connect from another loopback address (127.0.0.x), so the portal sees a different client IP over real TCP.</summary>
internal static class ClientAddress
{
    public static HttpClient From(PortalAppFactory app, string sourceAddress, string? apiKey = null)
    {
        var source = IPAddress.Parse(sourceAddress);
        var port = app.BaseAddress.Port;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = true,
            CookieContainer = new CookieContainer(),
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }
}
