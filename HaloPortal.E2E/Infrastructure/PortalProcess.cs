using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace HaloPortal.E2E.Infrastructure;

/// <summary>
/// The real, built portal (<c>dotnet HaloPortal.dll</c>) as a child process on a free loopback port, with its own
/// temporary data folder. Its console output goes to <c>artifacts/e2e/portal-*.log</c>. Disposing kills the process
/// tree and deletes the data folder.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly object _logGate = new();
    private bool _logClosed;

    private PortalProcess(Process process, StreamWriter log, Uri baseAddress, string dataDirectory, string logPath, string apiKey)
    {
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
        DataDirectory = dataDirectory;
        LogPath = logPath;
        ApiKey = apiKey;
    }

    /// <summary>Where the portal listens, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The portal's temporary data folder (SQLite files).</summary>
    public string DataDirectory { get; }

    /// <summary>The file the portal's stdout and stderr are written to.</summary>
    public string LogPath { get; }

    /// <summary>The configuration API key (Administrator) the portal was started with.</summary>
    public string ApiKey { get; }

    /// <summary>Starts the portal and returns once <c>GET /health</c> answers 200.</summary>
    /// <param name="environment">Extra environment variables for the portal (e.g. <c>Portal__BootstrapAdmin__Email</c>); they win over the defaults.</param>
    /// <param name="port">The loopback port to listen on (from <see cref="FreeLoopbackPort"/>, so its URL can go into <paramref name="environment"/>); a free one when null.</param>
    /// <param name="cancellationToken">Stops waiting for the portal to become healthy.</param>
    public static async Task<PortalProcess> StartAsync(IReadOnlyDictionary<string, string>? environment = null, int? port = null, CancellationToken cancellationToken = default)
    {
        var assembly = RepoPaths.PortalAssembly();
        var dataDirectory = Path.Combine(Path.GetTempPath(), "haloportal-e2e", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var logDirectory = Path.Combine(RepoPaths.Artifacts, "e2e");
        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, $"portal-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.log");
        var apiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        var baseAddress = new Uri($"http://127.0.0.1:{port ?? FreeLoopbackPort()}/");

        var start = new ProcessStartInfo("dotnet")
        {
            // Content root = the build output: appsettings and the static web assets manifest live there.
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseAddress.GetLeftPart(UriPartial.Authority));
        // Development: static web assets (MudBlazor's CSS/JS, the scoped styles) are served from the build output
        // through HaloPortal.staticwebassets.runtime.json, which the host only reads in Development.
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(dataDirectory, "portal.db")}";
        start.Environment["Portal__DataDirectory"] = dataDirectory;
        start.Environment["Portal__DataProtection__KeyDirectory"] = dataDirectory + "-keys";
        start.Environment["Sandbox__Enabled"] = "true"; // the default in Development, set so the tests do not depend on it
        start.Environment["Portal__ApiKeys__0"] = apiKey;
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("ASPNETCORE_HTTP_PORTS");

        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        await log.WriteLineAsync($"# dotnet {assembly} --urls {baseAddress} (data: {dataDirectory})");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var portal = new PortalProcess(process, log, baseAddress, dataDirectory, logPath, apiKey);
        process.OutputDataReceived += (_, e) => portal.Write(e.Data);
        process.ErrorDataReceived += (_, e) => portal.Write(e.Data is null ? null : "[stderr] " + e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("dotnet could not be started.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await portal.WaitUntilHealthyAsync(cancellationToken);
        }
        catch
        {
            await portal.DisposeAsync();
            throw;
        }

        return portal;
    }

    /// <summary>The last lines the portal wrote, for failure messages.</summary>
    public string LogTail(int lines = 40)
    {
        lock (_logGate)
        {
            if (!_logClosed)
            {
                _log.Flush();
            }
        }

        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(log {LogPath} unreadable: {e.Message})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(exit.Token);
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        finally
        {
            _process.Dispose();
            lock (_logGate)
            {
                _logClosed = true;
                _log.Dispose();
            }

            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open is left for the OS temp cleaner.
            }
        }
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logGate)
        {
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }
        }
    }

    private async Task WaitUntilHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        string last = "no answer yet";
        while (deadline.Elapsed < StartDeadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"The portal exited with code {_process.ExitCode} before it became healthy. Its log ({LogPath}):\n{LogTail()}");
            }

            try
            {
                using var response = await http.GetAsync("/health", cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "timed out";
            }

            await tick.WaitForNextTickAsync(cancellationToken);
        }

        throw new TimeoutException(
            $"The portal at {BaseAddress} did not answer GET /health with 200 within {StartDeadline.TotalSeconds:0} s (last: {last}). Its log ({LogPath}):\n{LogTail()}");
    }

    /// <summary>A loopback port nothing listens on right now.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
