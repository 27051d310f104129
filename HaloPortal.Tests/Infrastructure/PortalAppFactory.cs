using System.Net;
using HaloPortal.Engine.Ingestion;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HaloPortal.Tests.Infrastructure;

/// <summary>
/// The real portal on Kestrel on a free loopback port, with its own temporary data folder (SQLite files; on PostgreSQL, see
/// <see cref="TestProvider"/>, a database named after the folder).
/// Share one per test class (<c>IClassFixture</c>); subclass or set <see cref="Settings"/> before first use for other configuration.
/// </summary>
public class PortalAppFactory : WebApplicationFactory<Program>
{
    /// <summary>A configuration API key with Administrator rights.</summary>
    public const string AdminApiKey = "test-admin-key-0123456789abcdefghijklmnop";

    private readonly string _dataDirectory;
    private readonly bool _ownsData;

    public PortalAppFactory()
        : this(Path.Combine(Path.GetTempPath(), "haloportal-tests", Guid.NewGuid().ToString("N")), ownsData: true)
    {
    }

    /// <summary>A portal on an existing data folder (to restart "the same" portal); the folder is left for the caller.</summary>
    internal PortalAppFactory(string dataDirectory, bool ownsData = false)
    {
        _dataDirectory = dataDirectory;
        _ownsData = ownsData;
        Directory.CreateDirectory(_dataDirectory);
        UseKestrel(0);
    }

    public string DataDirectory => _dataDirectory;

    /// <summary>The key-encryption certificate's folder: beside the data folder, never inside it.</summary>
    public string KeyDirectory => _dataDirectory + "-keys";

    /// <summary>The host environment (Testing by default).</summary>
    public string EnvironmentName { get; set; } = "Testing";

    /// <summary>Extra configuration (keys like <c>Portal:Instance</c>), applied when the host is built; a null value leaves the product's default.</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    /// <summary>The pipeline's probe: set its hooks to crash the pipeline at a chosen point (and clear them after).</summary>
    public TestPipelineProbe Probe { get; } = new();

    /// <summary>Replace or add services after the portal's own registrations.</summary>
    public Action<IServiceCollection>? ConfigureTestServices { get; set; }

    /// <summary>The base address the portal listens on (starts the server when needed).</summary>
    public Uri BaseAddress
    {
        get
        {
            StartServer();
            return ClientOptions.BaseAddress;
        }
    }

    /// <summary>A client over real HTTP that sends an API key (the administrator's by default; null for none). Redirects are not followed.</summary>
    public HttpClient CreateApiClient(string? apiKey = AdminApiKey)
    {
        var client = CreateBrowserClient(new CookieContainer());
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    /// <summary>A client over real HTTP that keeps cookies like a browser; redirects are not followed.</summary>
    public HttpClient CreateBrowserClient(CookieContainer cookies) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = cookies, UseCookies = true })
        {
            BaseAddress = BaseAddress,
        };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(EnvironmentName);
        builder.UseSetting("ConnectionStrings:Portal", TestProvider.ConnectionString(_dataDirectory));
        foreach (var (key, value) in TestProvider.PortalSettings())
        {
            builder.UseSetting(key, value);
        }

        builder.UseSetting("Portal:DataDirectory", _dataDirectory);
        builder.UseSetting("Portal:DataProtection:KeyDirectory", KeyDirectory);

        // The sandbox is on by default only in Development; the tests drive it in "Testing" (Settings["Sandbox:Enabled"] = null: the default).
        if (!Settings.ContainsKey("Sandbox:Enabled"))
        {
            builder.UseSetting("Sandbox:Enabled", "true");
        }
        builder.UseSetting("Portal:ApiKeys:0", AdminApiKey);
        foreach (var (key, value) in Settings.Where(s => s.Value is not null))
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<IPipelineProbe>(Probe)));
        if (ConfigureTestServices is { } configure)
        {
            builder.ConfigureServices(configure);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsData)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TestProvider.Drop(_dataDirectory);
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
                if (Directory.Exists(KeyDirectory))
                {
                    Directory.Delete(KeyDirectory, recursive: true);
                }
            }
            catch (IOException)
            {
                // A file still held open is left for the OS temp cleaner.
            }
        }
    }
}

/// <summary>A pipeline probe whose hooks a test sets; unset hooks observe nothing.</summary>
public sealed class TestPipelineProbe : IPipelineProbe
{
    /// <summary>Called after each stage with the stage's name and the email's id.</summary>
    public Func<string, long, Task>? AfterStage { get; set; }

    /// <summary>Called before each email is decided.</summary>
    public Func<long, Task>? BeforeDecide { get; set; }

    public Task AfterStageAsync(string stage, long emailId) => AfterStage?.Invoke(stage, emailId) ?? Task.CompletedTask;

    public Task BeforeDecideAsync(long emailId) => BeforeDecide?.Invoke(emailId) ?? Task.CompletedTask;
}
