using System.Text.Json;
using System.Text.Json.Serialization;
using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Audit;

/// <summary>Reads the audit trail. Changes are recorded by the services that make them, in the same transaction.</summary>
public interface IAuditLog
{
    Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);
}

public sealed record AuditQuery(string? Search = null, string? EntityType = null, int Page = 1, int PageSize = 50);

public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, int Total);

internal sealed class AuditLog(IDbContextFactory<PortalDbContext> contexts) : IAuditLog
{
    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entries = db.Set<AuditEntry>().AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.EntityType))
        {
            entries = entries.Where(e => e.EntityType == query.EntityType);
        }

        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var term = query.Search.Trim();
            entries = entries.Where(e => e.Actor.Contains(term) || e.Action.Contains(term) || e.EntityType.Contains(term) || (e.EntityId != null && e.EntityId.Contains(term)));
        }

        var total = await entries.CountAsync(cancellationToken);
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var items = await entries.OrderByDescending(e => e.At).ThenByDescending(e => e.Id)
            .Skip((Math.Max(query.Page, 1) - 1) * pageSize).Take(pageSize)
            .ToListAsync(cancellationToken);
        return new AuditPage(items, total);
    }
}

/// <summary>Adds an audit entry to a context so that it commits with the change it describes.</summary>
internal static class AuditRecorder
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Records a change. <paramref name="before"/> and <paramref name="after"/> must be snapshots without secrets.</summary>
    public static void Audit(this DbContext db, TimeProvider time, Actor actor, string action, string entityType, string? entityId, object? before, object? after)
    {
        db.Set<AuditEntry>().Add(new AuditEntry
        {
            At = time.GetUtcNow(),
            ActorKind = actor.Kind,
            Actor = actor.Name,
            Action = action,
            EntityType = entityType,
            EntityId = entityId,
            Before = before is null ? null : JsonSerializer.Serialize(before, before.GetType(), Json),
            After = after is null ? null : JsonSerializer.Serialize(after, after.GetType(), Json),
        });
    }
}
