using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.EndUsers;

/// <summary>A customer site. New users are placed on the site whose email domain matches, else on the default site for new users.</summary>
internal sealed class Site
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public bool IsDefaultForNewUsers { get; set; }

    public List<SiteDomain> Domains { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class SiteDomain
{
    public int Id { get; set; }

    public int SiteId { get; set; }

    /// <summary>Lower-case domain, e.g. contoso.com.</summary>
    public string Domain { get; set; } = "";
}

internal sealed class SiteConfiguration : IEntityTypeConfiguration<Site>
{
    public void Configure(EntityTypeBuilder<Site> builder)
    {
        builder.ToTable("Sites");
        builder.Property(s => s.Name).HasMaxLength(200).IsRequired();
        builder.HasIndex(s => s.Name).IsUnique();
        builder.HasMany(s => s.Domains).WithOne().HasForeignKey(d => d.SiteId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class SiteDomainConfiguration : IEntityTypeConfiguration<SiteDomain>
{
    public void Configure(EntityTypeBuilder<SiteDomain> builder)
    {
        builder.ToTable("SiteDomains");
        builder.Property(d => d.Domain).HasMaxLength(253).IsRequired();
        builder.HasIndex(d => d.Domain).IsUnique();
    }
}
