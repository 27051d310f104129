using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Ingestion;

/// <summary>The ingestion settings of Configuration &gt; Email &gt; General Settings.</summary>
/// <param name="OneTicketAcrossMailboxes">
/// The same email (one Internet Message-ID) delivered to several connected mailboxes — To: support@, Cc: sales@ — makes one
/// ticket: the first mailbox to decide it writes the ticket, the others record their copy as Ignored and only apply their
/// processed-mail action. Off: each mailbox opens its own ticket.
/// </param>
public sealed record IngestionSettings(bool OneTicketAcrossMailboxes)
{
    public static IngestionSettings Default { get; } = new(true);
}

/// <summary>Reads and changes <see cref="IngestionSettings"/>.</summary>
public interface IIngestionSettings
{
    Task<IngestionSettings> GetAsync(CancellationToken cancellationToken = default);

    Task<IngestionSettings> SetOneTicketAcrossMailboxesAsync(bool enabled, Actor actor, CancellationToken cancellationToken = default);
}

/// <summary>The single row of the ingestion settings.</summary>
internal sealed class IngestionSettingsRow
{
    public const int SingletonId = 1;

    public int Id { get; set; } = SingletonId;

    public bool OneTicketAcrossMailboxes { get; set; } = true;
}

/// <summary>
/// Which inbound email took an Internet Message-ID to a ticket, across every mailbox. Its key is unique: two mailboxes deciding
/// the same email at once cannot both record it (the second transaction fails and is decided again, seeing the first).
/// </summary>
internal sealed class InboundMessageOwner
{
    /// <summary>The <see cref="MessageIdKey"/> of the email.</summary>
    public string MessageKey { get; set; } = "";

    public long InboundEmailId { get; set; }

    public int MailboxId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class IngestionSettingsRowConfiguration : IEntityTypeConfiguration<IngestionSettingsRow>
{
    public void Configure(EntityTypeBuilder<IngestionSettingsRow> builder)
    {
        builder.ToTable("IngestionSettings");
        builder.Property(s => s.Id).ValueGeneratedNever();
        builder.HasData(new IngestionSettingsRow { Id = IngestionSettingsRow.SingletonId, OneTicketAcrossMailboxes = true });
    }
}

internal sealed class InboundMessageOwnerConfiguration : IEntityTypeConfiguration<InboundMessageOwner>
{
    public void Configure(EntityTypeBuilder<InboundMessageOwner> builder)
    {
        builder.ToTable("InboundMessageOwners");
        builder.HasKey(o => o.MessageKey);
        builder.Property(o => o.MessageKey).HasMaxLength(1000);
        builder.HasIndex(o => o.InboundEmailId).IsUnique();
        builder.HasOne<InboundEmail>().WithMany().HasForeignKey(o => o.InboundEmailId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class IngestionSettingsStore(IDbContextFactory<PortalDbContext> contexts, TimeProvider time) : IIngestionSettings
{
    public async Task<IngestionSettings> GetAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await ReadAsync(db, cancellationToken);
    }

    public async Task<IngestionSettings> SetOneTicketAcrossMailboxesAsync(bool enabled, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<IngestionSettingsRow>().SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            row = new IngestionSettingsRow();
            db.Add(row);
        }

        var before = new { row.OneTicketAcrossMailboxes };
        row.OneTicketAcrossMailboxes = enabled;
        db.Audit(time, actor, "IngestionSettings.Updated", "IngestionSettings", null, before, new { row.OneTicketAcrossMailboxes });
        await db.SaveChangesAsync(cancellationToken);
        return new IngestionSettings(row.OneTicketAcrossMailboxes);
    }

    internal static async Task<IngestionSettings> ReadAsync(PortalDbContext db, CancellationToken cancellationToken) =>
        await db.Set<IngestionSettingsRow>().AsNoTracking().Select(r => new IngestionSettings(r.OneTicketAcrossMailboxes)).SingleOrDefaultAsync(cancellationToken)
        ?? IngestionSettings.Default;
}

/// <summary>Copies of one email in several connected mailboxes: the first to decide it owns it, the others are recorded as its copies.</summary>
internal static class CrossMailboxCopies
{
    public const string ErrorCode = "CopyInOtherMailbox";

    /// <summary>
    /// Inside the deciding transaction: when another inbound email already took this Message-ID to a ticket, records
    /// <paramref name="email"/> as its copy (Ignored, with the ticket and the other mailbox named) and returns true; otherwise
    /// records <paramref name="email"/> as the owner (saved with its ticket) and returns false.
    /// </summary>
    public static async Task<bool> IsCopyAsync(PortalDbContext db, Mailbox mailbox, InboundEmail email, string messageKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            // Nodes decide at once on PostgreSQL: the transaction that writes tickets holds the ticket-number lock until it commits, so
            // taking it first makes the other mailbox's decision wait and then see this one's owner row (no deadlock: one lock, reentrant).
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({TicketWriter.TicketNumberLockKey})", cancellationToken);
        }

        var owner = await db.Set<InboundMessageOwner>().AsNoTracking().SingleOrDefaultAsync(o => o.MessageKey == messageKey, cancellationToken);
        if (owner is null)
        {
            db.Add(new InboundMessageOwner { MessageKey = messageKey, InboundEmailId = email.Id, MailboxId = mailbox.Id, CreatedAt = now });
            return false;
        }

        if (owner.InboundEmailId == email.Id)
        {
            return false; // decided again (a replay): it is the owner itself
        }

        var first = await db.Set<InboundEmail>().AsNoTracking().Where(e => e.Id == owner.InboundEmailId)
            .Select(e => new { e.TicketId, e.MailboxId }).SingleOrDefaultAsync(cancellationToken);
        var ticket = first?.TicketId is { } ticketId
            ? await db.Set<Ticket>().AsNoTracking().Where(t => t.Id == ticketId).Select(t => (int?)t.Number).SingleOrDefaultAsync(cancellationToken)
            : null;
        var otherName = await db.Set<Mailbox>().AsNoTracking().Where(m => m.Id == owner.MailboxId).Select(m => m.Name).SingleOrDefaultAsync(cancellationToken);
        var where = owner.MailboxId == mailbox.Id ? "this mailbox" : $"mailbox '{otherName ?? $"#{owner.MailboxId}"}'";
        var onTicket = ticket is { } number ? $"it is on ticket #{number}" : "its ticket was deleted since";
        email.Status = InboundStatus.Ignored;
        email.ErrorCode = ErrorCode;
        email.TicketId = ticket is null ? null : first!.TicketId;
        email.Reason = $"Copy of inbound email #{owner.InboundEmailId}: the same email (Message-ID {messageKey}) also reached {where}, and {onTicket} from there, so no second ticket. " +
                       "To let each mailbox open its own ticket, turn off 'Open one ticket when the same email reaches several mailboxes' under Configuration > Email > General Settings.";
        return true;
    }
}
