using System.Text.Json;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;

namespace HaloPortal.Api;

internal static class AuditApi
{
    public static void MapAuditApi(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", async (string? q, string? entityType, int? page, int? pageSize, IAuditLog audit, CancellationToken ct) =>
            {
                var result = await audit.QueryAsync(new AuditQuery(q, entityType, page ?? 1, pageSize ?? 50), ct);
                return TypedResults.Ok(new ItemsPage<AuditRecord>(result.Items.Select(AuditRecord.From).ToList(), result.Total));
            })
            .RequireAuthorization(PortalPolicies.Administrator)
            .WithTags("Audit")
            .WithName("ListAuditEntries")
            .WithSummary("Configuration changes, newest first: who, what, and the state before and after. q searches actor, action and entity.");
    }

    /// <summary>An audit entry with its before/after states as JSON objects.</summary>
    internal sealed record AuditRecord(long Id, DateTimeOffset At, ActorKind ActorKind, string Actor, string Action, string EntityType, string? EntityId, JsonElement? Before, JsonElement? After)
    {
        public static AuditRecord From(AuditEntry e) =>
            new(e.Id, e.At, e.ActorKind, e.Actor, e.Action, e.EntityType, e.EntityId, Parse(e.Before), Parse(e.After));

        private static JsonElement? Parse(string? json)
        {
            if (string.IsNullOrEmpty(json))
            {
                return null;
            }

            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
    }
}
