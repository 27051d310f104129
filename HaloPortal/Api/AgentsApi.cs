using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Notifications;
using HaloPortal.Engine.Portal;
using HaloPortal.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HaloPortal.Api;

internal static class AgentsApi
{
    public static void MapAgentsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/agents").RequireAuthorization(PortalPolicies.Administrator).WithTags("Agents");

        group.MapGet("", async (string? q, int? page, int? pageSize, IAgents agents, CancellationToken ct) =>
            {
                var result = await agents.ListAsync(new AgentQuery(q, page ?? 1, pageSize ?? 50), ct);
                return TypedResults.Ok(new ItemsPage<AgentSummary>(result.Items, result.Total));
            })
            .WithName("ListAgents")
            .WithSummary("The people who sign in to the portal; q searches name and email, page starts at 1.");

        group.MapGet("/{id}", async Task<Results<Ok<AgentSummary>, ProblemHttpResult>> (string id, IAgents agents, CancellationToken ct) =>
                await agents.GetAsync(id, ct) is { } agent ? TypedResults.Ok(agent) : NotFound(id))
            .WithName("GetAgent");

        group.MapPost("", async (NewAgentBody body, IAgents agents, ICurrentActor actor, CancellationToken ct) =>
            {
                var created = await agents.CreateAsync(
                    new NewAgent(body.DisplayName ?? "", body.Email ?? "", body.Password ?? "", body.Roles ?? []), actor.Get(), ct);
                return TypedResults.Created($"/api/v1/agents/{created.Id}", created);
            })
            .WithName("CreateAgent")
            .WithSummary("Creates a local agent with an initial password and one or more roles (Administrator, Agent, Support).")
            .ProducesValidationProblem();

        group.MapPut("/{id}", async Task<Results<Ok<AgentSummary>, ProblemHttpResult>> (string id, UpdateAgentBody body, IAgents agents, ICurrentActor actor, CancellationToken ct) =>
            {
                var agent = await agents.GetAsync(id, ct);
                if (agent is null)
                {
                    return NotFound(id);
                }

                if (body.DisplayName is not null || body.Roles is not null)
                {
                    agent = await agents.UpdateAsync(id, new AgentUpdate(body.DisplayName ?? agent.DisplayName, body.Roles ?? agent.Roles), actor.Get(), ct);
                }

                if (agent is not null && body.Disabled is { } disabled)
                {
                    agent = await agents.SetDisabledAsync(id, disabled, actor.Get(), ct);
                }

                return agent is null ? NotFound(id) : TypedResults.Ok(agent);
            })
            .WithName("UpdateAgent")
            .WithSummary("Changes an agent's name, roles or disabled state; omitted members keep their value.")
            .ProducesValidationProblem();

        group.MapGet("/{id}/notification-preferences", async Task<Results<Ok<NotificationPreferences>, ProblemHttpResult>> (string id, IAgents agents, INotifications notifications, CancellationToken ct) =>
                await agents.GetAsync(id, ct) is null ? NotFound(id) : TypedResults.Ok(await notifications.GetPreferencesAsync(id, ct)))
            .WithName("GetAgentNotificationPreferences")
            .WithSummary("Which error notifications the agent receives (in the portal and by email): emailProcessingErrors and integrationErrors.");

        group.MapPut("/{id}/notification-preferences", async Task<Results<Ok<NotificationPreferences>, ProblemHttpResult>> (
                string id, NotificationPreferencesBody body, IAgents agents, INotifications notifications, ICurrentActor actor, CancellationToken ct) =>
            {
                if (await agents.GetAsync(id, ct) is null)
                {
                    return NotFound(id);
                }

                var current = await notifications.GetPreferencesAsync(id, ct);
                var wanted = new NotificationPreferences(body.EmailProcessingErrors ?? current.EmailProcessingErrors, body.IntegrationErrors ?? current.IntegrationErrors);
                return TypedResults.Ok(await notifications.SetPreferencesAsync(id, wanted, actor.Get(), ct));
            })
            .WithName("SetAgentNotificationPreferences")
            .WithSummary("Subscribes the agent to error notifications or unsubscribes them; omitted members keep their value. The change is audited.");
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(title: "Agent not found", detail: $"No agent has the id '{id}'. List the agents with GET /api/v1/agents.", statusCode: StatusCodes.Status404NotFound);

    internal sealed record NewAgentBody(string? DisplayName, string? Email, string? Password, string[]? Roles);

    internal sealed record UpdateAgentBody(string? DisplayName, string[]? Roles, bool? Disabled);

    internal sealed record NotificationPreferencesBody(bool? EmailProcessingErrors, bool? IntegrationErrors);
}

/// <summary>The list shape of the REST API: <c>{"items":[...],"total":n}</c>.</summary>
internal sealed record ItemsPage<T>(IReadOnlyList<T> Items, int Total);
