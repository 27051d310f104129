using Hangfire;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using HaloPortal.Engine.Portal;

namespace HaloPortal.Hosting;

/// <summary>
/// Hangfire in-process: in-memory storage by default, PostgreSQL storage (the portal's own database, schema <c>hangfire</c>)
/// when several nodes share the work; the dashboard for administrators at /hangfire.
/// </summary>
public static class JobsExtensions
{
    public const string StorageSetting = "Portal:Hangfire:Storage";

    /// <summary>The schema Hangfire's PostgreSQL storage keeps its tables in, beside the portal's own.</summary>
    public const string PostgreSqlSchema = "hangfire";

    /// <summary>The storage this configuration selects (<c>InMemory</c> or <c>PostgreSql</c>); anything else stops the portal.</summary>
    public static HangfireStorageKind StorageKind(IConfiguration configuration)
    {
        var kind = configuration[StorageSetting];
        if (string.IsNullOrWhiteSpace(kind))
        {
            return HangfireStorageKind.InMemory;
        }

        return Enum.TryParse<HangfireStorageKind>(kind, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new InvalidOperationException($"{StorageSetting} '{kind}' is not known; use InMemory or PostgreSql.");
    }

    public static WebApplicationBuilder AddPortalJobs(this WebApplicationBuilder builder)
    {
        var kind = StorageKind(builder.Configuration);
        var postgreSql = kind == HangfireStorageKind.PostgreSql
            ? builder.Configuration.GetConnectionString("Portal") is { Length: > 0 } configured
                ? configured
                : throw new InvalidOperationException($"{StorageSetting} is PostgreSql but ConnectionStrings:Portal is not set; Hangfire keeps its jobs in the portal's PostgreSQL database.")
            : null;

        // This host's own storage instance in DI: Hangfire's static JobStorage.Current is shared by every host in a process
        // (integration tests run several). It is created inside Hangfire's configuration, after its logging is set up.
        JobStorage? storage = null;
        builder.Services.AddSingleton(sp =>
        {
            sp.GetRequiredService<IGlobalConfiguration>();
            return storage!;
        });
        builder.Services.AddHangfire((sp, config) =>
        {
            config.UseLogProvider(new HangfireLogProvider(sp.GetRequiredService<ILoggerFactory>()));
            // A generous command timeout: on a busy 2-core machine the storage's single dispatcher thread can fall behind
            // for a while, and a job that cannot be queued is worse than one queued late.
            storage = postgreSql is null
                ? new Hangfire.InMemory.InMemoryStorage(new Hangfire.InMemory.InMemoryStorageOptions { CommandTimeout = TimeSpan.FromMinutes(1) })
                : CreatePostgreSqlStorage(postgreSql);
            config.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                .UseStorage(storage);
        });
        builder.Services.AddHangfireServer((sp, options) =>
        {
            // Background Jobs (the dashboard) names the server that ran each job: the portal node's name.
            options.ServerName = sp.GetRequiredService<HaloPortal.Engine.Nodes.IPortalNodes>().Name;
            options.WorkerCount = Math.Max(4, Environment.ProcessorCount * 2);
            options.SchedulePollingInterval = TimeSpan.FromSeconds(1);
        });
        return builder;
    }

    /// <summary>
    /// Every node shares these tables: a recurring job is one row, triggered by whichever node's scheduler takes its lock first,
    /// so it runs once per schedule however many nodes run. Its schema is created (under Hangfire's own lock) at first start.
    /// </summary>
    private static PostgreSqlStorage CreatePostgreSqlStorage(string connectionString)
    {
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = PostgreSqlSchema,
            PrepareSchemaIfNecessary = true,
            // LISTEN/NOTIFY wakes the workers when a job is enqueued; polling stays as the fallback.
            EnableLongPolling = true,
            QueuePollInterval = TimeSpan.FromSeconds(1),
            DistributedLockTimeout = TimeSpan.FromMinutes(1),
        };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options);
    }

    public static WebApplication MapPortalJobs(this WebApplication app)
    {
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new AdministratorDashboardFilter()],
            DashboardTitle = "HaloPortal jobs",
            AppPath = "/",
        }, app.Services.GetRequiredService<JobStorage>()).RequireAuthorization(PortalPolicies.Administrator);
        return app;
    }

    private sealed class AdministratorDashboardFilter : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) =>
            context.GetHttpContext().User.IsInRole(PortalRoles.Administrator);
    }
}

/// <summary>Where Hangfire keeps its jobs (<c>Portal:Hangfire:Storage</c>).</summary>
public enum HangfireStorageKind
{
    /// <summary>In the process: the embedded default (jobs are triggers; the record of the work is in the database).</summary>
    InMemory,

    /// <summary>In the portal's PostgreSQL database, shared by every node.</summary>
    PostgreSql,
}
