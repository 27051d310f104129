using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Engine.Tokens;
using HaloPortal.Hosting;

namespace HaloPortal.Api;

/// <summary>A Webhooks credential's Graph subscription: create and cancel (API.md).</summary>
internal static class SubscriptionsApi
{
    public static void MapSubscriptionsApi(this RouteGroupBuilder api)
    {
        var credentials = api.MapGroup("/credentials").RequireAuthorization(PortalPolicies.Administrator).WithTags("Credentials");

        credentials.MapGet("/{id:int}/subscription", async Task<IResult> (int id, ISubscriptions subscriptions, CancellationToken ct) =>
            await subscriptions.GetAsync(id, ct) is { } s ? TypedResults.Ok(SubscriptionDto.From(s)) : TypedResults.Problem(title: "Not found", detail: $"Credential {id} has no subscription.", statusCode: StatusCodes.Status404NotFound))
            .WithName("GetSubscription");

        credentials.MapPost("/{id:int}/subscription", async Task<IResult> (int id, ISubscriptions subscriptions, ICurrentActor actor, CancellationToken ct) =>
        {
            try
            {
                var created = await subscriptions.CreateAsync(id, actor.Get(), ct);
                return TypedResults.Created($"/api/v1/credentials/{id}/subscription", SubscriptionDto.From(created));
            }
            catch (CredentialException ex)
            {
                return Problem(ex, StatusCodes.Status400BadRequest);
            }
            catch (InvalidOperationException ex)
            {
                return TypedResults.Problem(title: "Subscription exists", detail: ex.Message, statusCode: StatusCodes.Status409Conflict);
            }
        }).WithName("CreateSubscription").WithSummary("Registers a Graph subscription (Graph validates /api/graph/notifications first).");

        credentials.MapDelete("/{id:int}/subscription", async Task<IResult> (int id, ISubscriptions subscriptions, ICurrentActor actor, CancellationToken ct) =>
        {
            try
            {
                return await subscriptions.CancelAsync(id, actor.Get(), ct)
                    ? TypedResults.NoContent()
                    : TypedResults.Problem(title: "Not found", detail: $"Credential {id} has no active subscription.", statusCode: StatusCodes.Status404NotFound);
            }
            catch (CredentialException ex)
            {
                return Problem(ex, StatusCodes.Status502BadGateway);
            }
        }).WithName("CancelSubscription");
    }

    private static IResult Problem(CredentialException ex, int status) => TypedResults.Problem(
        title: ex.Error.Title, detail: ex.Error.Message, statusCode: status,
        extensions: new Dictionary<string, object?> { ["code"] = ex.Error.Code, ["fix"] = ex.Error.Fix });

    internal sealed record SubscriptionDto(string Id, string Resource, DateTimeOffset ExpirationDateTime, SubscriptionStatus Status, string NotificationUrl, DateTimeOffset? LastNotificationAt, string? Note)
    {
        public static SubscriptionDto From(SubscriptionView s) => new(s.GraphSubscriptionId, s.Resource, s.ExpiresAt, s.Status, s.NotificationUrl, s.LastNotificationAt, s.Note);
    }
}
