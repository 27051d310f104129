using System.Globalization;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Sandbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace HaloPortal.Benchmarks;

/// <summary>Where a benchmark's portal runs: the database provider and how many nodes share it (<c>--provider</c>, <c>--nodes</c>).</summary>
internal sealed record BenchmarkTopology(DatabaseProvider Provider, int Nodes)
{
    /// <summary>The PostgreSQL server the benchmarks create their databases on (the role needs CREATEDB).</summary>
    public const string PostgreSqlVariable = "HALOPORTAL_BENCH_PG";
    public const string DefaultPostgreSql = "Host=127.0.0.1;Username=haloportal;Password=haloportal";

    public static BenchmarkTopology Default { get; } = new(DatabaseProvider.Sqlite, 1);

    public string Label => $"{(Provider == DatabaseProvider.Sqlite ? "SQLite" : "PostgreSQL")}, {Nodes} node{(Nodes == 1 ? "" : "s")}";

    public static BenchmarkTopology Parse(string? provider, string? nodes)
    {
        var parsedProvider = provider is null ? DatabaseProvider.Sqlite
            : Enum.TryParse<DatabaseProvider>(provider, ignoreCase: true, out var p) && Enum.IsDefined(p) ? p
            : throw new ArgumentException($"--provider must be Sqlite or PostgreSql, not '{provider}'.");
        var parsedNodes = int.Parse(nodes ?? "1", CultureInfo.InvariantCulture);
        if (parsedNodes is < 1 or > 2)
        {
            throw new ArgumentException("--nodes must be 1 or 2.");
        }

        if (parsedNodes > 1 && parsedProvider == DatabaseProvider.Sqlite)
        {
            throw new ArgumentException("Several nodes share one PostgreSQL database: use --provider PostgreSql with --nodes 2.");
        }

        return new BenchmarkTopology(parsedProvider, parsedNodes);
    }
}

/// <summary>
/// One portal of one or more nodes, all in this process: on SQLite a file in a temporary folder, on PostgreSQL a fresh database
/// (Hangfire's jobs in it too), dropped afterwards. Node <c>bench-a</c> serves the sandbox tenant; the other nodes point their
/// engines at it (<c>Sandbox:BaseUrl</c>), as a multi-node test deployment does. The nodes share one key-encryption certificate
/// folder, so every node decrypts the shared key ring. Each node gets its own connection pool (its own Application Name).
/// </summary>
internal sealed class BenchmarkCluster : IAsyncDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "haloportal-bench", Guid.NewGuid().ToString("N"));
    private readonly List<BenchmarkPortal> _nodes = [];

    private BenchmarkCluster(BenchmarkTopology topology)
    {
        Topology = topology;
    }

    public BenchmarkTopology Topology { get; }

    public IReadOnlyList<BenchmarkPortal> Nodes => _nodes;

    /// <summary>The node serving the sandbox tenant (its control API, its Graph, its webhooks).</summary>
    public BenchmarkPortal Sandbox => _nodes[0];

    public IDbContextFactory<PortalDbContext> Contexts => Sandbox.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();

    /// <summary>The PostgreSQL database's name (null on SQLite).</summary>
    public string? Database { get; private set; }

    public static BenchmarkCluster Start(BenchmarkTopology topology, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var cluster = new BenchmarkCluster(topology);
        try
        {
            cluster.StartNodes(settings ?? new Dictionary<string, string?>());
            return cluster;
        }
        catch
        {
            cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>A new shared mailbox in the sandbox tenant and its mailbox in the portal (client-credential secret), connected.</summary>
    public async Task<(int MailboxId, int CredentialId, string Address)> AddMailboxAsync(string name, ProcessingMethod method)
    {
        var services = Sandbox.Services;
        var control = services.GetRequiredService<ISandboxControl>();
        var demo = await services.GetRequiredService<ISandboxDemo>().GetAsync() ?? throw new InvalidOperationException("The sandbox demo tenant was not seeded.");
        var address = $"{name}@{demo.DefaultDomain}";
        await control.CreateUserAsync(demo.TenantId.ToString(), new SandboxNewUser(address, name, null, SandboxMailboxType.Shared));
        var mailbox = await services.GetRequiredService<IMailboxes>().CreateAsync(name, MailboxConnectionType.Office365Azure, Actor.System);
        var credential = await services.GetRequiredService<ICredentials>().CreateAsync(mailbox.Id, new CredentialInput
        {
            AuthMethod = AuthMethod.ClientCredentials,
            CredentialType = CredentialType.ClientSecret,
            ProcessingMethod = method,
            Authority = GraphAuthority.Sandbox,
            TenantId = demo.TenantId.ToString(),
            ClientId = demo.AppId.ToString(),
            ClientSecret = demo.ClientSecret,
            EmailAddress = address,
        }, Actor.System);
        var test = await services.GetRequiredService<ICredentialConnections>().TestAsync(credential.Id);
        if (!test.Ok)
        {
            throw new InvalidOperationException($"Test connection failed: {test.Error?.Message}");
        }

        return (mailbox.Id, credential.Id, address);
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            await _nodes[i].DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Database is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(AdminConnectionString());
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Database}\" WITH (FORCE)", admin);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await drop.ExecuteNonQueryAsync();
                    break;
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 20)
                {
                    // FORCE may not end a backend of another role that just attached (an autovacuum worker): it ends on its own.
                    await Task.Delay(250);
                }
            }
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp cleaner.
        }
    }

    /// <summary>A connection to the server's <c>postgres</c> database, outside the portal's pools.</summary>
    public static string AdminConnectionString() =>
        new NpgsqlConnectionStringBuilder(BaseConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;

    private static string BaseConnectionString =>
        Environment.GetEnvironmentVariable(BenchmarkTopology.PostgreSqlVariable) is { Length: > 0 } configured ? configured : BenchmarkTopology.DefaultPostgreSql;

    private void StartNodes(IReadOnlyDictionary<string, string?> settings)
    {
        Directory.CreateDirectory(_root);
        if (Topology.Provider == DatabaseProvider.PostgreSql)
        {
            Database = "haloportal_bench_" + Guid.NewGuid().ToString("N")[..16];
            using var admin = new NpgsqlConnection(AdminConnectionString());
            admin.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE \"{Database}\"", admin);
            create.ExecuteNonQuery();
        }

        for (var i = 0; i < Topology.Nodes; i++)
        {
            var name = $"bench-{(char)('a' + i)}";
            var data = Path.Combine(_root, name);
            Directory.CreateDirectory(data);
            var values = new Dictionary<string, string?>
            {
                ["Portal:Node:Name"] = name,
                ["Portal:DataDirectory"] = data,
                ["Portal:DataProtection:KeyDirectory"] = Path.Combine(_root, "keys"),
                ["Portal:Database:Provider"] = Topology.Provider.ToString(),
                ["Portal:Hangfire:Storage"] = Topology.Provider == DatabaseProvider.PostgreSql ? "PostgreSql" : "InMemory",
                ["ConnectionStrings:Portal"] = Database is null
                    ? $"Data Source={Path.Combine(data, "portal.db")}"
                    : new NpgsqlConnectionStringBuilder(BaseConnectionString) { Database = Database, ApplicationName = name }.ConnectionString,
            };
            if (i > 0)
            {
                values["Sandbox:BaseUrl"] = _nodes[0].Address.ToString();
            }

            foreach (var (key, value) in settings)
            {
                values[key] = value;
            }

            var node = new BenchmarkPortal(name, values);
            _nodes.Add(node);
            node.Start(); // one after the other: bench-a migrates and seeds the demo mailbox, the others find it done
        }
    }
}
