using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Data;

/// <summary>Looks at what a unit of work already tracks without a change-detection pass over everything it tracks.</summary>
internal static class TrackedEntities
{
    /// <summary>
    /// The tracked entities of a type. Added entities are registered when they are added, so no change detection is needed to
    /// find them; <c>DbSet.Local</c> would run one over every tracked entity on each call, which a long unit of work pays for
    /// every email.
    /// </summary>
    public static List<T> Tracked<T>(this DbContext db) where T : class =>
        db.WithoutChangeDetection(() => db.Set<T>().Local.ToList());

    /// <summary>Stops tracking every entity that is saved and unchanged, except those of <typeparamref name="TKeep"/>.</summary>
    public static void ForgetSavedExcept<TKeep>(this DbContext db) where TKeep : class =>
        db.WithoutChangeDetection(() =>
        {
            foreach (var entry in db.ChangeTracker.Entries().Where(e => e.Entity is not TKeep && e.State == EntityState.Unchanged).ToList())
            {
                entry.State = EntityState.Detached;
            }

            return true;
        });

    private static T WithoutChangeDetection<T>(this DbContext db, Func<T> read)
    {
        var detect = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            return read();
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = detect;
        }
    }
}
