using HaloPortal.Engine.BackendServices;
using HaloPortal.Engine.Portal;
using HaloPortal.Hosting;

namespace HaloPortal.Api;

internal static class BackendServicesApi
{
    public static void MapBackendServicesApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/backend-services").RequireAuthorization(PortalPolicies.Administrator).WithTags("Backend services");

        group.MapGet("", async (IBackendServices services, CancellationToken ct) => TypedResults.Ok(await services.GetAsync(ct)))
            .WithName("GetBackendServices")
            .WithSummary("The Incoming and Scheduling service switches.");

        group.MapPut("", async (BackendServicesBody body, IBackendServices services, ICurrentActor actor, CancellationToken ct) =>
            {
                var state = await services.GetAsync(ct);
                var updated = await services.UpdateAsync(
                    new BackendServiceState(body.IncomingServiceEnabled ?? state.IncomingServiceEnabled, body.SchedulingServiceEnabled ?? state.SchedulingServiceEnabled),
                    actor.Get(),
                    ct);
                return TypedResults.Ok(updated);
            })
            .WithName("UpdateBackendServices")
            .WithSummary("Turn the Incoming or Scheduling service on or off; omitted switches keep their value.");
    }

    internal sealed record BackendServicesBody(bool? IncomingServiceEnabled, bool? SchedulingServiceEnabled);
}
