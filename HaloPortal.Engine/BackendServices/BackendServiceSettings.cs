using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.BackendServices;

/// <summary>The single row holding the backend service switches.</summary>
internal sealed class BackendServiceSettings
{
    public const int SingletonId = 1;

    public int Id { get; set; } = SingletonId;

    public bool IncomingServiceEnabled { get; set; } = true;

    public bool SchedulingServiceEnabled { get; set; } = true;

    public DateTimeOffset? UpdatedAt { get; set; }

    public string? UpdatedBy { get; set; }
}

internal sealed class BackendServiceSettingsConfiguration : IEntityTypeConfiguration<BackendServiceSettings>
{
    public void Configure(EntityTypeBuilder<BackendServiceSettings> builder)
    {
        builder.ToTable("BackendServiceSettings");
        builder.Property(s => s.Id).ValueGeneratedNever();
        builder.Property(s => s.UpdatedBy).HasMaxLength(256);
        builder.HasData(new BackendServiceSettings { Id = BackendServiceSettings.SingletonId });
    }
}
