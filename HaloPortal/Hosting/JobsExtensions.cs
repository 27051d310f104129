using Hangfire;
using Hangfire.Dashboard;
using HaloPortal.Engine.Portal;

namespace HaloPortal.Hosting;

/// <summary>Hangfire in-process: in-memory storage by default, the dashboard for administrators at /hangfire.</summary>
public static class JobsExtensions
{
    public const string StorageSetting = "Portal:Hangfire:Storage";

    public static WebApplicationBuilder AddPortalJobs(this WebApplicationBuilder builder)
    {
        var kind = builder.Configuration[StorageSetting] ?? "InMemory";
        if (kind != "InMemory")
        {
            throw new InvalidOperationException($"{StorageSetting} '{kind}' is not available in this build; use InMemory.");
        }

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
            storage = new Hangfire.InMemory.InMemoryStorage(new Hangfire.InMemory.InMemoryStorageOptions { CommandTimeout = TimeSpan.FromMinutes(1) });
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
