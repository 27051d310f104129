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

/// <summary>The real portal in-process on Kestrel (loopback, fresh temporary data), its demo mailbox switched to webhooks.</summary>
internal sealed class BenchmarkPortal : WebApplicationFactory<Program>
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "haloportal-bench", Guid.NewGuid().ToString("N"));
    private readonly bool _paused;

    public BenchmarkPortal(bool pauseProcessing)
    {
        _paused = pauseProcessing;
        Port = FreePort();
        Directory.CreateDirectory(_dataDirectory);
        UseKestrel(Port);
    }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    public async Task<SubscriptionView> SubscribeDemoMailboxAsync()
    {
        _ = ClientOptions.BaseAddress;
        StartServer();
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
        builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(_dataDirectory, "portal.db")}");
        builder.UseSetting("Portal:DataDirectory", _dataDirectory);
        builder.UseSetting("Portal:DataProtection:KeyDirectory", _dataDirectory + "-keys");
        builder.UseSetting("Sandbox:Enabled", "true"); // on by default only in Development
        builder.UseSetting("Portal:PublicBaseUrl", Address.ToString().TrimEnd('/'));
        builder.UseSetting("Portal:Webhooks:PauseProcessing", _paused ? "true" : "false");
        if (Environment.GetEnvironmentVariable("Portal__Webhooks__ProcessingBatchSize") is { Length: > 0 } batch)
        {
            builder.UseSetting("Portal:Webhooks:ProcessingBatchSize", batch);
        }
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft", "Warning");
        builder.UseSetting("Logging:LogLevel:System", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Warning");
        builder.UseSetting("Logging:LogLevel:System.Net.Http.HttpClient", "Warning");
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp cleaner.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
