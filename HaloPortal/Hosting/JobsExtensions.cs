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
        var storage = builder.Configuration[StorageSetting] ?? "InMemory";
        builder.Services.AddHangfire((sp, config) =>
        {
            config.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings();
            switch (storage)
            {
                case "InMemory":
                    config.UseInMemoryStorage();
                    break;
                default:
                    throw new InvalidOperationException($"{StorageSetting} '{storage}' is not available in this build; use InMemory.");
            }
        });
        builder.Services.AddHangfireServer(options =>
        {
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
        }).RequireAuthorization(PortalPolicies.Administrator);
        return app;
    }

    private sealed class AdministratorDashboardFilter : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) =>
            context.GetHttpContext().User.IsInRole(PortalRoles.Administrator);
    }
}
