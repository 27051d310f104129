using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Tokens;

/// <summary>An authorisation-code sign-in in progress: the state sent to Entra ID, and the PKCE verifier kept server-side.</summary>
internal sealed class PendingAuthorisation
{
    public string State { get; set; } = "";

    public int CredentialId { get; set; }

    public string CodeVerifierProtected { get; set; } = "";

    public string RedirectUri { get; set; } = "";

    public string? ReturnUrl { get; set; }

    public string StartedBy { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class PendingAuthorisationConfiguration : IEntityTypeConfiguration<PendingAuthorisation>
{
    public void Configure(EntityTypeBuilder<PendingAuthorisation> builder)
    {
        builder.ToTable("PendingAuthorisations");
        builder.HasKey(p => p.State);
        builder.Property(p => p.State).HasMaxLength(64);
        builder.Property(p => p.RedirectUri).HasMaxLength(1024);
        builder.Property(p => p.ReturnUrl).HasMaxLength(1024);
        builder.Property(p => p.StartedBy).HasMaxLength(256);
        builder.HasIndex(p => p.CreatedAt);
    }
}
