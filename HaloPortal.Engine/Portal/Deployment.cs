using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Portal;

/// <summary>This deployment's identity: a random id created on first start, carried in the Message-ID of every mail the portal sends.</summary>
public interface IDeployment
{
    string DeploymentId { get; }

    /// <summary>Whether this deployment has passed the one-time <paramref name="marker"/> (one of <see cref="DeploymentMarkers"/>).</summary>
    Task<bool> HasReachedAsync(string marker, CancellationToken cancellationToken = default);

    /// <summary>Records that this deployment has passed <paramref name="marker"/>, for good: what it guards is not done again.</summary>
    Task MarkReachedAsync(string marker, CancellationToken cancellationToken = default);
}

/// <summary>One-time steps a deployment remembers (kept as columns of its Deployment row).</summary>
public static class DeploymentMarkers
{
    /// <summary>The sandbox demo mailbox was seeded once; it is not recreated after an administrator deletes it.</summary>
    public const string DemoMailboxSeeded = nameof(DeploymentRow.DemoMailboxSeeded);

    /// <summary>The sandbox demo mailbox's Outlook contacts and their sites were seeded once.</summary>
    public const string DemoContactsSeeded = nameof(DeploymentRow.DemoContactsSeeded);

    internal static readonly IReadOnlySet<string> All = new HashSet<string>([DemoMailboxSeeded, DemoContactsSeeded], StringComparer.Ordinal);
}

internal sealed class DeploymentRow
{
    public int Id { get; set; } = 1;

    public string DeploymentId { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The sandbox demo mailbox was seeded once; it is not recreated after an administrator deletes it.</summary>
    public bool DemoMailboxSeeded { get; set; }

    /// <summary>The sandbox demo mailbox's Outlook contacts and their sites were seeded once.</summary>
    public bool DemoContactsSeeded { get; set; }
}

internal sealed class DeploymentRowConfiguration : IEntityTypeConfiguration<DeploymentRow>
{
    public void Configure(EntityTypeBuilder<DeploymentRow> builder)
    {
        builder.ToTable("Deployment");
        builder.Property(d => d.Id).ValueGeneratedNever();
        builder.Property(d => d.DeploymentId).HasMaxLength(32);
    }
}

internal sealed class Deployment(IDbContextFactory<PortalDbContext> contexts, TimeProvider time) : IDeployment, IStartupTask
{
    private string? _id;

    public int Order => -10;

    public string DeploymentId => _id ?? throw new InvalidOperationException("The deployment id is read at start-up; the portal has not started yet.");

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<DeploymentRow>().SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            row = new DeploymentRow { DeploymentId = Guid.NewGuid().ToString("N")[..16], CreatedAt = time.GetUtcNow() };
            db.Add(row);
            await db.SaveChangesAsync(cancellationToken);
        }

        _id = row.DeploymentId;
    }

    public async Task<bool> HasReachedAsync(string marker, CancellationToken cancellationToken = default)
    {
        Check(marker);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<DeploymentRow>().AsNoTracking().SingleAsync(cancellationToken);
        return db.Entry(row).Property<bool>(marker).CurrentValue;
    }

    public async Task MarkReachedAsync(string marker, CancellationToken cancellationToken = default)
    {
        Check(marker);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<DeploymentRow>().SingleAsync(cancellationToken);
        db.Entry(row).Property<bool>(marker).CurrentValue = true;
        await db.SaveChangesAsync(cancellationToken);
    }

    private static void Check(string marker)
    {
        if (!DeploymentMarkers.All.Contains(marker))
        {
            throw new ArgumentException($"'{marker}' is not a deployment marker: use one of DeploymentMarkers.", nameof(marker));
        }
    }
}
