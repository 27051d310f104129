using System.Text.Json;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Monitoring;
using HaloPortal.Engine.Portal;
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

        // The detail names mailboxes and their errors: administrators only (a signed-in administrator or an Administrator API key).
        app.MapGet("/health/detail", async Task<IResult> (HttpContext context, HealthCheckService checks, IMailboxHealth mailboxes, TimeProvider time, CancellationToken ct) =>
        {
            if (context.User.Identity?.IsAuthenticated != true)
            {
                return TypedResults.Problem(title: "Unauthorized", detail: "Sign in as an administrator or send an Administrator API key in X-Api-Key.", statusCode: StatusCodes.Status401Unauthorized);
            }

            if (!context.User.IsInRole(PortalRoles.Administrator))
            {
                return TypedResults.Problem(title: "Forbidden", detail: "The health detail is for administrators.", statusCode: StatusCodes.Status403Forbidden);
            }

            var report = await checks.CheckHealthAsync(ct);
            var body = new HealthDetailView(
                report.Status.ToString(),
                node.Name,
                node.InstanceId,
                database,
                hangfire,
                [.. report.Entries.Select(e => new HealthCheckView(e.Key, e.Value.Status.ToString()))],
                time.GetUtcNow(),
                [.. (await mailboxes.ListAsync(ct)).Select(MailboxHealthDetail.Of)]);
            return TypedResults.Json(body, Json, statusCode: report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>The body of <c>/health/detail</c>: the summary and each mailbox's health.</summary>
    public sealed record HealthDetailView(string Status, string Node, string Instance, string Database, string HangfireStorage, IReadOnlyList<HealthCheckView> Checks,
        DateTimeOffset GeneratedAt, IReadOnlyList<MailboxHealthDetail> Mailboxes);

    /// <summary>One mailbox in <c>/health/detail</c>; a null instant means never (or none).</summary>
    public sealed record MailboxHealthDetail(
        int Id,
        string Name,
        bool IncomingEnabled,
        bool Connected,
        string? Address,
        string? CredentialStatus,
        string? ProcessingMethod,
        DateTimeOffset? LastSuccessfulRead,
        MailboxHealthError? LastError,
        DateTimeOffset? ThrottledUntil,
        BacklogView Backlog,
        DateTimeOffset? SubscriptionExpiresAt,
        string? SubscriptionStatus,
        DateTimeOffset? CredentialExpiresAt,
        DateTimeOffset? LastResyncAt,
        string? LastResyncNote,
        DateTimeOffset? LastWebhookRead)
    {
        public static MailboxHealthDetail Of(MailboxHealthView m) => new(
            m.MailboxId, m.Name, m.IncomingEnabled, m.Connected, m.Address, m.CredentialStatus?.ToString(), m.ProcessingMethod?.ToString(),
            m.LastSuccessfulRead, m.LastError, m.ThrottledUntil, new BacklogView(m.Pending, m.Processing), m.SubscriptionExpiresAt,
            m.SubscriptionStatus?.ToString(), m.CredentialExpiresAt, m.LastResyncAt, m.LastResyncNote, m.LastWebhookRead);
    }

    /// <summary>Emails found and not finished: pending (not started) and processing (or waiting for a retry).</summary>
    public sealed record BacklogView(int Pending, int Processing);

    /// <summary>The body of <c>/health</c>.</summary>
    /// <param name="Node">The node's name (<c>Portal:Node:Name</c>, default the machine name).</param>
    /// <param name="Instance">This process's instance id (new at every start): tells a restarted node from its previous run.</param>
    public sealed record HealthView(string Status, string Node, string Instance, string Database, string HangfireStorage, IReadOnlyList<HealthCheckView> Checks);

    /// <summary>One health check's outcome (never its exception: <c>/health</c> is anonymous).</summary>
    public sealed record HealthCheckView(string Name, string Status);
}
