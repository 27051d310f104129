using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HaloPortal.Tests.Infrastructure;

/// <summary>
/// The real, built portal (<c>dotnet HaloPortal/bin/&lt;Config&gt;/&lt;tfm&gt;/HaloPortal.dll</c>) as a child process on a loopback port,
/// as HaloPortal.E2E's PortalProcess starts it (Development, so the sandbox and its static assets are served), with the environment
/// the caller gives: a multi-node test starts several on one database. Its output is appended to <see cref="LogPath"/>. Unlike the
/// E2E harness the data folder belongs to the caller: a node killed and started again keeps it.
/// </summary>
public sealed class PortalNodeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly object _logGate = new();
    private bool _logClosed;

    private PortalNodeProcess(Process process, StreamWriter log, Uri baseAddress, string logPath)
    {
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
        LogPath = logPath;
    }

    public Uri BaseAddress { get; }

    public string LogPath { get; }

    public int ProcessId => _process.Id;

    /// <summary>Starts the portal on <paramref name="port"/> and returns once <c>GET /health</c> answers 200.</summary>
    public static async Task<PortalNodeProcess> StartAsync(int port, IReadOnlyDictionary<string, string> environment, string logPath, CancellationToken cancellationToken = default)
    {
        var assembly = PortalAssembly();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo("dotnet")
        {
            // Content root = the build output: appsettings and the static web assets manifest live there.
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseAddress.GetLeftPart(UriPartial.Authority));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("ASPNETCORE_HTTP_PORTS");

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        await log.WriteLineAsync($"# {DateTimeOffset.UtcNow:O} dotnet {assembly} --urls {baseAddress}");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var node = new PortalNodeProcess(process, log, baseAddress, logPath);
        process.OutputDataReceived += (_, e) => node.Write(e.Data);
        process.ErrorDataReceived += (_, e) => node.Write(e.Data is null ? null : "[stderr] " + e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("dotnet could not be started.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await node.WaitUntilHealthyAsync(cancellationToken);
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }

        return node;
    }

    /// <summary>SIGKILL (<see cref="Process.Kill()"/> on Unix): no shutdown code runs, as when a machine dies. Returns once the process is gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(exit.Token);
        Write($"# {DateTimeOffset.UtcNow:O} killed with SIGKILL by the test");
    }

    /// <summary>The last lines of the log, for failure messages.</summary>
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
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
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
        }
    }

    /// <summary>A loopback port nothing listens on right now.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The repository root: the first folder above the test output that holds HaloPortal.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HaloPortal.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"HaloPortal.sln was not found in any folder above {AppContext.BaseDirectory}.");
    }

    /// <summary><c>HaloPortal/bin/&lt;Config&gt;/&lt;tfm&gt;/HaloPortal.dll</c> for the configuration and framework of these tests.</summary>
    private static string PortalAssembly()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent?.Name
            ?? throw new InvalidOperationException($"Cannot tell the build configuration from the test output folder {output.FullName}.");
        var dll = Path.Combine(RepositoryRoot(), "HaloPortal", "bin", configuration, output.Name, "HaloPortal.dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"The portal is not built at {dll}. Build the solution first: dotnet build HaloPortal.sln -c {configuration}.", dll);
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
        var last = "no answer yet";
        while (deadline.Elapsed < StartDeadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The portal exited with code {_process.ExitCode} before it became healthy. Its log ({LogPath}):\n{LogTail()}");
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

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"The portal at {BaseAddress} did not answer GET /health with 200 within {StartDeadline.TotalSeconds:0} s (last: {last}). Its log ({LogPath}):\n{LogTail()}");
    }
}
