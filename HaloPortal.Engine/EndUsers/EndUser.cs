using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.EndUsers;

/// <summary>A person who raises tickets (a requester), created from mail or imported from Outlook contacts.</summary>
internal sealed class EndUser
{
    public int Id { get; set; }

    /// <summary>Lower-case primary email address; unique.</summary>
    public string Email { get; set; } = "";

    public string Name { get; set; } = "";

    public string? FirstName { get; set; }

    public string? LastName { get; set; }

    public string? Phone { get; set; }

    public string? Mobile { get; set; }

    public string? JobTitle { get; set; }

    public string? Department { get; set; }

    public string? Company { get; set; }

    public string? Address { get; set; }

    public string? Notes { get; set; }

    public int SiteId { get; set; }

    /// <summary>The Outlook contact this user was imported from, when imported.</summary>
    public string? OutlookContactId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }
}

internal sealed class EndUserConfiguration : IEntityTypeConfiguration<EndUser>
{
    public void Configure(EntityTypeBuilder<EndUser> builder)
    {
        builder.ToTable("EndUsers");
        builder.Property(u => u.Email).HasMaxLength(320).IsRequired();
        builder.Property(u => u.Name).HasMaxLength(256);
        builder.Property(u => u.OutlookContactId).HasMaxLength(512);
        builder.HasIndex(u => u.Email).IsUnique();
        builder.HasIndex(u => u.OutlookContactId);
        builder.HasOne<Site>().WithMany().HasForeignKey(u => u.SiteId).OnDelete(DeleteBehavior.Restrict);
    }
}
