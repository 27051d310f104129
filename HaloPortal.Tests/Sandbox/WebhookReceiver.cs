using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Tests.Sandbox;

/// <summary>A tiny notification endpoint on Kestrel 127.0.0.1:0, as a webhook receiver would be: answers the validation
/// handshake (or refuses it, as told) and records every notification it is sent.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<JsonObject> _notifications = Channel.CreateUnbounded<JsonObject>();
    private int _failuresLeft;

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>How the handshake is answered: Echo (correct), Status500, WrongToken.</summary>
    public string Handshake { get; set; } = "Echo";

    public int Validations { get; private set; }

    public string BaseUrl { get; private set; } = "";

    public string NotifyUrl => BaseUrl + "/notify";

    public string LifecycleUrl => BaseUrl + "/lifecycle";

    /// <summary>Answer the next notifications with 503 before accepting them.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failuresLeft, count);

    public int Attempts { get; private set; }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/{kind}", async (string kind, HttpContext http) =>
        {
            if (http.Request.Query.TryGetValue("validationToken", out var token))
            {
                receiver.Validations++;
                return receiver.Handshake switch
                {
                    "Status500" => Results.StatusCode(500),
                    "WrongToken" => Results.Text("not the token", "text/plain"),
                    _ => Results.Text(token.ToString(), "text/plain"),
                };
            }

            receiver.Attempts++;
            if (Interlocked.Decrement(ref receiver._failuresLeft) >= 0)
            {
                return Results.StatusCode(503);
            }

            var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
            body["kind"] = kind;
            await receiver._notifications.Writer.WriteAsync(body);
            return Results.Accepted();
        });
        await app.StartAsync();
        receiver.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return receiver;
    }

    /// <summary>The next notification received, within a deadline.</summary>
    public async Task<JsonObject> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await _notifications.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("No notification arrived in time.");
        }
    }

    public bool TryNext(out JsonObject? notification) => _notifications.Reader.TryRead(out notification);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
