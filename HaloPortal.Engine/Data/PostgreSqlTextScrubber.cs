using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace HaloPortal.Engine.Data;

/// <summary>
/// PostgreSQL's text cannot hold a NUL character (SQLite's can), and hostile or broken mail carries them in subjects, bodies
/// and headers. Before saving, each NUL in a string being written becomes U+FFFD (the replacement character), so such a mail
/// still becomes its ticket instead of failing to save on one provider only.
/// </summary>
internal sealed class PostgreSqlTextScrubber : SaveChangesInterceptor
{
    private const string Replacement = "\uFFFD";

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Scrub(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Scrub(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private static void Scrub(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified))
            {
                continue;
            }

            foreach (var property in entry.Properties)
            {
                if (property.CurrentValue is string text && text.Contains('\0', StringComparison.Ordinal)
                    && (entry.State == EntityState.Added || property.IsModified))
                {
                    property.CurrentValue = text.Replace("\0", Replacement, StringComparison.Ordinal);
                }
            }
        }
    }
}
