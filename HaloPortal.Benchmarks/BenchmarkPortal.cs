using System.Net;
using System.Net.Sockets;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Subscriptions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Benchmarks;

/// <summary>
/// One real portal node in-process on Kestrel (loopback, a free port of its own, its own data folder), configured by its
/// <see cref="BenchmarkCluster"/>: the database, the node's name, where the sandbox is served. Its public address is its own.
/// </summary>
internal sealed class BenchmarkPortal : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string?> _settings;

    public BenchmarkPortal(string name, IReadOnlyDictionary<string, string?> settings)
    {
        Name = name;
        _settings = settings;
        Port = FreePort();
        UseKestrel(Port);
    }

    public string Name { get; }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary>What reached the sandbox's Graph on this node (only the node serving the sandbox counts anything).</summary>
    public GraphTraffic Traffic { get; } = new();

    public void Start()
    {
        _ = ClientOptions.BaseAddress;
        StartServer();
    }

    /// <summary>Switches the demo mailbox (mailbox 1) to webhooks and subscribes it, with this node's address as the notification URL.</summary>
    public async Task<SubscriptionView> SubscribeDemoMailboxAsync()
    {
        Start();
        var contexts = Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        MailboxCredential credential;
        await using (var db = await contexts.CreateDbContextAsync())
        {
            credential = await db.Set<MailboxCredential>().AsNoTracking().SingleAsync(c => c.MailboxId == 1);
        }

        var input = CredentialInput.From(credential);
        input.ProcessingMethod = ProcessingMethod.Webhooks;
        await Services.GetRequiredService<HaloPortal.Engine.Credentials.ICredentials>().UpdateAsync(credential.Id, input, Actor.System);
        return await Services.GetRequiredService<ISubscriptions>().CreateAsync(credential.Id, Actor.System);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Benchmark");
        builder.UseSetting("Sandbox:Enabled", "true"); // on by default only in Development
        builder.UseSetting("Portal:PublicBaseUrl", Address.ToString().TrimEnd('/'));
        if (Environment.GetEnvironmentVariable("Portal__Webhooks__ProcessingBatchSize") is { Length: > 0 } batch)
        {
            builder.UseSetting("Portal:Webhooks:ProcessingBatchSize", batch);
        }

        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft", "Warning");
        builder.UseSetting("Logging:LogLevel:System", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Warning");
        builder.UseSetting("Logging:LogLevel:System.Net.Http.HttpClient", "Warning");
        // Expected on every start: EF Core reads the migration history of a fresh PostgreSQL database before creating it (and logs
        // that as a failed command), the sandbox warns that it is on outside Development, a paused worker says it is paused.
        builder.UseSetting("Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command", "Critical");
        builder.UseSetting("Logging:LogLevel:HaloPortal.Sandbox.SandboxExposureWarning", "Error");
        builder.UseSetting("Logging:LogLevel:HaloPortal.Engine.Ingestion.Sources.Webhook.WebhookWorker", "Error");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new GraphTrafficFilter(Traffic)));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
