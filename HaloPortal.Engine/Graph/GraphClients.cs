using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Telemetry;
using HaloPortal.Engine.Tokens;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;

namespace HaloPortal.Engine.Graph;

/// <summary>Graph clients for credentials: the real Microsoft.Graph SDK, tokens from MSAL, one pipeline for every cloud and the sandbox.</summary>
internal interface IGraphClients
{
    /// <summary>A client that reads the credential's mailbox. Every request holds one of the mailbox's 4 concurrency slots.</summary>
    /// <param name="credential">Whose mailbox, with whose tokens.</param>
    /// <param name="retries">
    /// False for a caller that repeats throttled or failing requests itself (so each repeat can be shown); true lets Graph's retry
    /// handler repeat them out of sight.
    /// </param>
    GraphServiceClient For(MailboxCredential credential, bool retries = true);

    /// <summary>
    /// Until when Graph asked this node to wait before reading the credential's mailbox again (its last 429), or null. Every node's
    /// 429s are also stored on the credential (<see cref="MailboxCredential.ThrottledUntil"/>).
    /// </summary>
    DateTimeOffset? ThrottledUntil(MailboxCredential credential);
}

internal sealed class GraphClients : IGraphClients, IDisposable
{
    private readonly ICredentialTokens _tokens;
    private readonly MailboxConcurrencyLimiter _limiter;
    private readonly HttpMessageHandler _transport;
    private readonly IAuthorities _authorities;
    private readonly PortalTelemetry _telemetry;
    private readonly CredentialThrottleRecorder _throttles;
    private readonly TimeProvider _time;

    public GraphClients(
        ICredentialTokens tokens,
        MailboxConcurrencyLimiter limiter,
        IEnumerable<IHostRouter> routers,
        IAuthorities authorities,
        PortalTelemetry telemetry,
        CredentialThrottleRecorder throttles,
        TimeProvider time)
    {
        _throttles = throttles;
        _time = time;
        _telemetry = telemetry;
        _tokens = tokens;
        _authorities = authorities;
        _limiter = limiter;
        // One pooled transport for every client, so short-lived GraphServiceClients never exhaust sockets.
        _transport = HostRouting.Transport(routers);
    }

    public GraphServiceClient For(MailboxCredential credential, bool retries = true)
    {
        var endpoints = _authorities.For(credential.Authority);
        var slotKey = SlotKey(credential);
        var handlers = GraphClientFactory.CreateDefaultHandlers();
        // Honour Retry-After and back off on 5xx for longer than the default 3 attempts before an email is rescheduled.
        var retry = handlers.ToList().FindIndex(h => h is RetryHandler);
        if (retry >= 0 && retries)
        {
            handlers[retry] = new RetryHandler(new RetryHandlerOption { MaxRetry = 10, Delay = 2 });
        }
        else if (retry >= 0)
        {
            handlers.RemoveAt(retry);
        }

        handlers.Add(new TokenRefreshHandler(_tokens, credential));
        handlers.Add(new CredentialThrottleHandler(_throttles, credential.Id, _time));
        handlers.Add(new MailboxConcurrencyHandler(_limiter.For(slotKey)));
        handlers.Add(new GraphMetricsHandler(_telemetry, credential.MailboxId));
        var http = GraphClientFactory.Create(handlers, "v1.0", GraphClientFactory.Global_Cloud, proxy: null, finalHandler: _transport, disposeHandler: false);
        http.Timeout = TimeSpan.FromMinutes(5);
        var auth = new BaseBearerTokenAuthenticationProvider(new TokenProvider(_tokens, credential, endpoints.GraphHost));
        return new GraphServiceClient(http, auth, endpoints.GraphBaseUrl);
    }

    public DateTimeOffset? ThrottledUntil(MailboxCredential credential) => _limiter.ThrottledUntil(SlotKey(credential));

    private static string SlotKey(MailboxCredential credential) => $"{credential.ClientId}|{credential.TargetAddress ?? credential.Id.ToString()}";

    public void Dispose() => _transport.Dispose();

    private sealed class TokenProvider(ICredentialTokens tokens, MailboxCredential credential, string graphHost) : IAccessTokenProvider
    {
        public AllowedHostsValidator AllowedHostsValidator { get; } = new([graphHost]);

        public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
            tokens.GetAccessTokenAsync(credential, cancellationToken: cancellationToken);
    }
}
