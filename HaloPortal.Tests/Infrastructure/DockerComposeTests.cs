using System.Diagnostics;

namespace HaloPortal.Tests.Infrastructure;

/// <summary>
/// docker-compose.yml must stay a valid Compose file. No Docker engine is needed: <c>docker-compose config</c> only
/// parses, interpolates and validates the file.
/// </summary>
public sealed class DockerComposeTests
{
    [Fact]
    public async Task Compose_file_is_valid()
    {
        var result = await DockerComposeAsync("config", "-q");

        Assert.True(result.ExitCode == 0, $"docker-compose config -q exited with {result.ExitCode}:\n{result.Output}");
    }

    [Fact]
    public async Task Portal_service_publishes_port_5080_and_keeps_its_data_in_a_named_volume()
    {
        var result = await DockerComposeAsync("config");

        Assert.True(result.ExitCode == 0, $"docker-compose config exited with {result.ExitCode}:\n{result.Output}");
        Assert.Contains("portal:", result.Output);
        Assert.Contains("target: 5080", result.Output);
        Assert.Contains("portal-data:/app/data", result.Output);
    }

    [Fact]
    public async Task Scale_profile_is_valid_and_runs_two_nodes_on_PostgreSQL_behind_a_sticky_proxy()
    {
        var valid = await DockerComposeAsync("--profile", "scale", "config", "-q");
        var result = await DockerComposeAsync("--profile", "scale", "config");

        Assert.True(valid.ExitCode == 0, $"docker-compose --profile scale config -q exited with {valid.ExitCode}:\n{valid.Output}");
        Assert.True(result.ExitCode == 0, $"docker-compose --profile scale config exited with {result.ExitCode}:\n{result.Output}");
        foreach (var expected in new[] { "postgres:", "node-a:", "node-b:", "proxy:", "Portal__Database__Provider: PostgreSql", "Portal__Hangfire__Storage: PostgreSql", "Portal__DataProtection__Certificate__Path: /app/keys/key-encryption.pfx" })
        {
            Assert.Contains(expected, result.Output);
        }

        var nginx = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy", "nginx.conf"));
        Assert.Contains("ip_hash;", nginx);
        Assert.Contains("server node-a:5080", nginx);
        Assert.Contains("server node-b:5080", nginx);
    }

    private static async Task<(int ExitCode, string Output)> DockerComposeAsync(params string[] arguments)
    {
        var executable = FindOnPath("docker-compose")
            ?? throw new InvalidOperationException(
                "docker-compose is not installed, so docker-compose.yml cannot be validated. Install it (apt-get install -y docker-compose) or run bash build/test.sh, which does.");
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only the file's own defaults count, not whatever this machine's shell happens to export.
        foreach (var name in new[] { "Portal__ApiKeys__0", "Portal__BootstrapAdmin__Email", "Portal__BootstrapAdmin__Password", "HALOPORTAL_PUBLIC_URL", "HALOPORTAL_INSTANCE", "HALOPORTAL_SCALE_PUBLIC_URL", "HALOPORTAL_DB_PASSWORD", "HALOPORTAL_KEY_CERTIFICATE_PASSWORD", "COMPOSE_FILE", "COMPOSE_PROJECT_NAME" })
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} could not be started.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"docker-compose {string.Join(' ', arguments)} did not finish within a minute.");
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static string RepositoryRoot()
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
}
