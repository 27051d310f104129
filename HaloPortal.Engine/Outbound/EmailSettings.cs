using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Outbound;

/// <summary>The single row of Configuration &gt; Email &gt; General Settings.</summary>
internal sealed class EmailSettingsRow
{
    public const int SingletonId = 1;

    public int Id { get; set; } = SingletonId;

    public int? DefaultOutgoingMailboxId { get; set; }

    /// <summary>The default's name when it was chosen, so a deleted default can be named in the warning.</summary>
    public string? DefaultOutgoingMailboxName { get; set; }
}

internal sealed class EmailSettingsRowConfiguration : IEntityTypeConfiguration<EmailSettingsRow>
{
    public void Configure(EntityTypeBuilder<EmailSettingsRow> builder)
    {
        builder.ToTable("EmailSettings");
        builder.Property(s => s.Id).ValueGeneratedNever();
        builder.Property(s => s.DefaultOutgoingMailboxName).HasMaxLength(200);
        builder.HasOne<Mailbox>().WithMany().HasForeignKey(s => s.DefaultOutgoingMailboxId).OnDelete(DeleteBehavior.SetNull);
        builder.HasData(new EmailSettingsRow { Id = EmailSettingsRow.SingletonId });
    }
}

/// <summary>The outgoing defaults and whether they need attention.</summary>
/// <param name="DefaultOutgoingMailboxId">The mailbox mail is sent from when a ticket's own mailbox cannot send.</param>
/// <param name="Warning">Why outgoing mail has no default, or null when all is well.</param>
public sealed record EmailSettings(int? DefaultOutgoingMailboxId, string? DefaultOutgoingMailboxName, string? Warning);

public interface IEmailSettings
{
    Task<EmailSettings> GetAsync(CancellationToken cancellationToken = default);

    /// <exception cref="ArgumentException">The mailbox does not exist.</exception>
    Task<EmailSettings> SetDefaultOutgoingMailboxAsync(int? mailboxId, Actor actor, CancellationToken cancellationToken = default);
}

internal sealed class EmailSettingsStore(IDbContextFactory<PortalDbContext> contexts, TimeProvider time) : IEmailSettings
{
    public async Task<EmailSettings> GetAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<EmailSettingsRow>().AsNoTracking().SingleOrDefaultAsync(cancellationToken) ?? new EmailSettingsRow();
        string? current = row.DefaultOutgoingMailboxId is { } id
            ? await db.Set<Mailbox>().Where(m => m.Id == id).Select(m => m.Name).SingleOrDefaultAsync(cancellationToken)
            : null;
        return new EmailSettings(row.DefaultOutgoingMailboxId, current ?? row.DefaultOutgoingMailboxName, WarningFor(row, current));
    }

    public async Task<EmailSettings> SetDefaultOutgoingMailboxAsync(int? mailboxId, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<EmailSettingsRow>().SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            row = new EmailSettingsRow();
            db.Add(row);
        }

        string? name = null;
        if (mailboxId is { } id)
        {
            name = await db.Set<Mailbox>().Where(m => m.Id == id).Select(m => m.Name).SingleOrDefaultAsync(cancellationToken)
                ?? throw new ArgumentException($"Mailbox {id} does not exist. Choose one of the mailboxes listed.", "defaultOutgoingMailboxId");
        }

        var before = new { row.DefaultOutgoingMailboxId, row.DefaultOutgoingMailboxName };
        row.DefaultOutgoingMailboxId = mailboxId;
        row.DefaultOutgoingMailboxName = name;
        db.Audit(time, actor, "EmailSettings.Updated", "EmailSettings", null, before, new { row.DefaultOutgoingMailboxId, row.DefaultOutgoingMailboxName });
        await db.SaveChangesAsync(cancellationToken);
        return new EmailSettings(mailboxId, name, WarningFor(row, name));
    }

    private static string? WarningFor(EmailSettingsRow row, string? currentName) => (row.DefaultOutgoingMailboxId, row.DefaultOutgoingMailboxName, currentName) switch
    {
        (null, { } deleted, _) => $"The default outgoing mailbox '{deleted}' was deleted. Choose a new default under Configuration > Email > General Settings, or replies cannot be sent from tickets whose mailbox cannot send.",
        (null, null, _) => "No default outgoing mailbox is set. Choose one under Configuration > Email > General Settings.",
        _ => null,
    };
}
