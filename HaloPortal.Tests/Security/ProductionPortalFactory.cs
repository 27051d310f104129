using System.Collections.Concurrent;
using System.Net;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Tests.Security;

/// <summary>Keeps every log entry written through it, to check what the portal wrote (and how often).</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> Entries => _entries.ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue((logLevel, category, exception is null ? formatter(state, exception) : formatter(state, exception) + "\n" + exception));
    }
}

/// <summary>
/// The portal in the Production environment (https public address, setup code, Secure cookies), its logs captured, as deployed behind
/// a TLS-terminating proxy on loopback: <see cref="CreateSecureCookieClient"/> sends what that proxy would (X-Forwarded-Proto https and
/// the public host), and keeps the Secure cookies by hand, which an http client would not send back.
/// </summary>
public class ProductionPortalFactory : PortalAppFactory
{
    public const string PublicBaseUrl = "https://helpdesk.example.test";

    public ProductionPortalFactory()
    {
        Settings["Portal:PublicBaseUrl"] = PublicBaseUrl;
        Settings["Portal:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
        Settings["Portal:ForwardedHeaders:KnownProxies:1"] = "::1";
        Settings["Portal:DataProtection:AllowGeneratedCertificate"] = "true"; // the key-ring rule has its own tests (KeyRingTests)
        ConfigureTestServices = services => services.AddSingleton<ILoggerProvider>(Logs);
    }

    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
    }

    /// <summary>A client that sends back every cookie it was given, Secure or not (as a browser on https would).</summary>
    public HttpClient CreateSecureCookieClient() => new(new ManualCookies(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })) { BaseAddress = BaseAddress };

    private sealed class ManualCookies(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly Dictionary<string, string> _cookies = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-Host", new Uri(PublicBaseUrl).Host);
            if (_cookies.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Set-Cookie", out var values))
            {
                foreach (var pair in values.Select(v => v.Split(';')[0]))
                {
                    var eq = pair.IndexOf('=');
                    _cookies[pair[..eq]] = pair[(eq + 1)..];
                }
            }

            return response;
        }
    }
}
