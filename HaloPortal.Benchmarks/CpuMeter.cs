using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace HaloPortal.Benchmarks;

/// <summary>
/// CPU time spent during a phase: this process (every node, the sandbox and the load generator: Process.TotalProcessorTime),
/// and, on PostgreSQL, the server's backends serving the benchmark's database (their utime + stime from /proc, read at the
/// start and the end; a backend that ended in between is missed, so that figure is a lower bound). SQLite works inside the
/// process, so without the server's share PostgreSQL would look cheaper than it is.
/// </summary>
internal sealed class CpuMeter
{
    private const double TicksPerSecond = 100; // Linux's USER_HZ (sysconf(_SC_CLK_TCK)) on every common platform

    private readonly string? _database;
    private readonly TimeSpan _process;
    private readonly Dictionary<int, long> _backends;

    private CpuMeter(string? database, TimeSpan process, Dictionary<int, long> backends)
    {
        _database = database;
        _process = process;
        _backends = backends;
    }

    public static async Task<CpuMeter> StartAsync(string? database) =>
        new(database, Process.GetCurrentProcess().TotalProcessorTime, await BackendsAsync(database));

    /// <summary>Milliseconds of CPU since the start: this process, and PostgreSQL's backends of the database (0 on SQLite).</summary>
    public async Task<(double ProcessMs, double PostgreSqlMs)> StopAsync()
    {
        var process = Process.GetCurrentProcess().TotalProcessorTime - _process;
        var backends = await BackendsAsync(_database);
        var ticks = backends.Sum(b => b.Value - _backends.GetValueOrDefault(b.Key));
        return (process.TotalMilliseconds, ticks * 1000 / TicksPerSecond);
    }

    private static async Task<Dictionary<int, long>> BackendsAsync(string? database)
    {
        var ticks = new Dictionary<int, long>();
        if (database is null)
        {
            return ticks;
        }

        await using var connection = new NpgsqlConnection(BenchmarkCluster.AdminConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE datname = @database", connection);
        command.Parameters.AddWithValue("database", database);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var pid = reader.GetInt32(0);
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ..." — utime and stime are fields 14 and 15, the 12th and 13th after the comm.
                var stat = await File.ReadAllTextAsync($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks[pid] = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The backend ended (or the server runs elsewhere): nothing to count.
            }
        }

        return ticks;
    }
}
