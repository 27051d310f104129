using System.Text.Json;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Nodes;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace HaloPortal.Hosting;

/// <summary>
/// <c>GET /health</c>: 200 while healthy (503 otherwise), with what this node runs on, so a load balancer or an operator can
/// tell the nodes apart: <c>{"status","node","instance","database","hangfireStorage","checks":[{"name","status"}]}</c>.
/// </summary>
public static class HealthExtensions
{
    public static IServiceCollection AddPortalHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddDbContextCheck<PortalDbContext>("database");
        return services;
    }

    public static WebApplication MapPortalHealth(this WebApplication app)
    {
        var database = app.Services.GetRequiredService<IOptions<DataOptions>>().Value.Provider.ToString();
        var node = app.Services.GetRequiredService<IPortalNodes>();
        var hangfire = JobsExtensions.StorageKind(app.Configuration).ToString();
        app.MapHealthChecks("/health", new HealthCheckOptions
        {
            ResponseWriter = (context, report) =>
            {
                context.Response.ContentType = "application/json";
                var body = new HealthView(
                    report.Status.ToString(),
                    node.Name,
                    node.InstanceId,
                    database,
                    hangfire,
                    [.. report.Entries.Select(e => new HealthCheckView(e.Key, e.Value.Status.ToString()))]);
                return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web), context.RequestAborted);
            },
        }).AllowAnonymous();
        return app;
    }

    /// <summary>The body of <c>/health</c>.</summary>
    /// <param name="Node">The node's name (<c>Portal:Node:Name</c>, default the machine name).</param>
    /// <param name="Instance">This process's instance id (new at every start): tells a restarted node from its previous run.</param>
    public sealed record HealthView(string Status, string Node, string Instance, string Database, string HangfireStorage, IReadOnlyList<HealthCheckView> Checks);

    /// <summary>One health check's outcome (never its exception: <c>/health</c> is anonymous).</summary>
    public sealed record HealthCheckView(string Name, string Status);
}
