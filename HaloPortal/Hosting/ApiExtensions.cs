using System.Text.Json.Serialization;
using HaloPortal.Api;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Http.Json;

namespace HaloPortal.Hosting;

/// <summary>The REST API under <c>/api/v1</c>: API-key authentication, problem details, OpenAPI.</summary>
public static class ApiExtensions
{
    public static WebApplicationBuilder AddPortalApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddProblemDetails();
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
        services.AddOpenApi("v1", options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new() { Title = "HaloPortal API", Version = "v1", Description = "Authenticate every call with the X-Api-Key header." };
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    public static WebApplication MapPortalApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();

        var api = app.MapGroup("/api/v1")
            .RequireAuthorization(p => p.AddAuthenticationSchemes(PortalPolicies.ApiKeyScheme).RequireAuthenticatedUser())
            .AddEndpointFilter<ValidationProblemFilter>()
            .WithTags("Portal");

        api.MapBackendServicesApi();
        api.MapAgentsApi();
        api.MapAuditApi();
        api.MapMailboxesApi();
        api.MapImportRunsApi();
        api.MapIngestionApi();
        api.MapOutboundApi();
        api.MapContactsApi();
        api.MapSubscriptionsApi();
        api.MapMonitoringApi();
        app.MapAttachmentDownloads();
        return app;
    }
}
