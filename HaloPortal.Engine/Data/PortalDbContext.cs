using HaloPortal.Engine.Accounts;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Data;

/// <summary>The portal's database. Features add their sets here and their configuration classes beside their entities.</summary>
public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options)
    : IdentityDbContext<PortalUser>(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
        if (!Database.IsSqlite())
        {
            // The lengths configured for strings are advisory: SQLite never enforced them, and a hostile mail's 5,000-character
            // subject became its ticket there. PostgreSQL would refuse it in varchar(n), so strings are plain text there too.
            foreach (var property in builder.Model.GetEntityTypes().SelectMany(t => t.GetProperties()).Where(p => p.ClrType == typeof(string)))
            {
                property.SetMaxLength(null);
            }
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        if (Database.IsSqlite())
        {
            // SQLite cannot order or compare DateTimeOffset; store UTC ticks so queries stay provider-neutral.
            builder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverterUtc>();
            builder.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToBinaryConverterUtc>();
        }
        else
        {
            // PostgreSQL keeps instants natively (timestamptz), which only accepts UTC: a Date header's offset is normalised
            // on the way in, and everything reads back as UTC, as on SQLite.
            builder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToUtcConverter>();
            builder.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToUtcConverter>();
        }
    }
}
