using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Accounts;

/// <summary>An API key created in the portal. Only a hash of the key is stored; the key itself is shown once.</summary>
internal sealed class ApiKey
{
    public Guid Id { get; set; }

    public string Name { get; set; } = "";

    /// <summary>The portal role the key acts with.</summary>
    public string Role { get; set; } = "";

    /// <summary>The first characters of the key, to recognise it in lists.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>SHA-256 of the whole key, hex.</summary>
    public string Hash { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public string CreatedBy { get; set; } = "";

    public DateTimeOffset? LastUsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("ApiKeys");
        builder.Property(k => k.Name).HasMaxLength(128);
        builder.Property(k => k.Role).HasMaxLength(32);
        builder.Property(k => k.Prefix).HasMaxLength(16);
        builder.Property(k => k.Hash).HasMaxLength(64);
        builder.Property(k => k.CreatedBy).HasMaxLength(256);
        builder.HasIndex(k => k.Hash).IsUnique();
    }
}
