using System.Net;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Parsing;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Outbound;

/// <summary>A mailbox's acknowledgement settings (off by default).</summary>
/// <param name="SubjectTemplate">Placeholders: {TicketNumber}, {Subject}, {RequesterName}. The ticket tag is added when missing.</param>
/// <param name="BodyTemplate">Plain text with the same placeholders; sent as HTML with the line breaks kept.</param>
/// <param name="MaxPerSenderPerHour">Loop brake: at most this many acknowledgements to one address per hour.</param>
public sealed record AcknowledgementOptions(bool Enabled, string SubjectTemplate, string BodyTemplate, int MaxPerSenderPerHour)
{
    public const string DefaultSubject = "[Ticket #{TicketNumber}] We have received your request: {Subject}";

    public const string DefaultBody = "Hello {RequesterName},\n\nThank you for contacting us. Your request \"{Subject}\" has been logged as ticket #{TicketNumber}.\nReply to this email to add more information.\n\nThe support team";

    public static AcknowledgementOptions Default { get; } = new(false, DefaultSubject, DefaultBody, 3);
}

/// <summary>Acknowledgements sent when an email opens a new ticket: settings per mailbox.</summary>
public interface IAcknowledgements
{
    Task<AcknowledgementOptions> GetAsync(int mailboxId, CancellationToken cancellationToken = default);

    /// <exception cref="ArgumentException">A template is empty or the limit is out of range (the message says what to change).</exception>
    /// <exception cref="KeyNotFoundException">No such mailbox.</exception>
    Task<AcknowledgementOptions> SaveAsync(int mailboxId, AcknowledgementOptions options, Actor actor, CancellationToken cancellationToken = default);
}

internal sealed class AcknowledgementSettingsRow
{
    public int MailboxId { get; set; }

    public bool Enabled { get; set; }

    public string SubjectTemplate { get; set; } = AcknowledgementOptions.DefaultSubject;

    public string BodyTemplate { get; set; } = AcknowledgementOptions.DefaultBody;

    public int MaxPerSenderPerHour { get; set; } = 3;

    public AcknowledgementOptions ToOptions() => new(Enabled, SubjectTemplate, BodyTemplate, MaxPerSenderPerHour);
}

internal sealed class AcknowledgementSettingsRowConfiguration : IEntityTypeConfiguration<AcknowledgementSettingsRow>
{
    public void Configure(EntityTypeBuilder<AcknowledgementSettingsRow> builder)
    {
        builder.ToTable("AcknowledgementSettings");
        builder.HasKey(s => s.MailboxId);
        builder.Property(s => s.MailboxId).ValueGeneratedNever();
        builder.Property(s => s.SubjectTemplate).HasMaxLength(500);
        builder.Property(s => s.BodyTemplate).HasMaxLength(8000);
        builder.HasOne<Mailbox>().WithOne().HasForeignKey<AcknowledgementSettingsRow>(s => s.MailboxId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AcknowledgementStore(IDbContextFactory<PortalDbContext> contexts, TimeProvider time) : IAcknowledgements
{
    public async Task<AcknowledgementOptions> GetAsync(int mailboxId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<AcknowledgementSettingsRow>().AsNoTracking().SingleOrDefaultAsync(s => s.MailboxId == mailboxId, cancellationToken);
        return row?.ToOptions() ?? AcknowledgementOptions.Default;
    }

    public async Task<AcknowledgementOptions> SaveAsync(int mailboxId, AcknowledgementOptions options, Actor actor, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(options.SubjectTemplate))
        {
            throw new ArgumentException("Enter a subject, e.g. \"" + AcknowledgementOptions.DefaultSubject + "\".", "subjectTemplate");
        }

        if (options.SubjectTemplate.Length > 500)
        {
            throw new ArgumentException("The subject is too long: keep it under 500 characters.", "subjectTemplate");
        }

        if (string.IsNullOrWhiteSpace(options.BodyTemplate))
        {
            throw new ArgumentException("Enter the acknowledgement's text; {TicketNumber}, {Subject} and {RequesterName} are filled in.", "bodyTemplate");
        }

        if (options.BodyTemplate.Length > 8000)
        {
            throw new ArgumentException("The text is too long: keep it under 8,000 characters.", "bodyTemplate");
        }

        if (options.MaxPerSenderPerHour is < 1 or > 100)
        {
            throw new ArgumentException("Allow between 1 and 100 acknowledgements per sender per hour (3 is a good loop brake).", "maxPerSenderPerHour");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Set<Mailbox>().AnyAsync(m => m.Id == mailboxId, cancellationToken))
        {
            throw new KeyNotFoundException($"Mailbox {mailboxId} does not exist.");
        }

        var row = await db.Set<AcknowledgementSettingsRow>().SingleOrDefaultAsync(s => s.MailboxId == mailboxId, cancellationToken);
        var before = row?.ToOptions();
        if (row is null)
        {
            row = new AcknowledgementSettingsRow { MailboxId = mailboxId };
            db.Add(row);
        }

        row.Enabled = options.Enabled;
        row.SubjectTemplate = options.SubjectTemplate.Trim();
        row.BodyTemplate = options.BodyTemplate;
        row.MaxPerSenderPerHour = options.MaxPerSenderPerHour;
        db.Audit(time, actor, "Mailbox.AcknowledgementsUpdated", "Mailbox", mailboxId.ToString(System.Globalization.CultureInfo.InvariantCulture), before, row.ToOptions());
        await db.SaveChangesAsync(cancellationToken);
        return row.ToOptions();
    }
}

/// <summary>Queues an acknowledgement, in the ticket's own transaction, when an email opens a ticket on a mailbox that sends them.</summary>
internal sealed class AcknowledgementObserver(IDeployment deployment, OutboundSignal signal, ILogger<AcknowledgementObserver> logger) : INewTicketObserver
{
    public async Task<string?> OnTicketOpenedAsync(PortalDbContext db, NewTicketFromEmail opened, CancellationToken cancellationToken)
    {
        var settings = await db.Set<AcknowledgementSettingsRow>().AsNoTracking().SingleOrDefaultAsync(s => s.MailboxId == opened.MailboxId, cancellationToken);
        if (settings is not { Enabled: true })
        {
            return null;
        }

        // Auto-replies, bounces, own and other instances' mail never open tickets; should one ever get here, it is still never answered.
        if (opened.Verdict.Kind != MailKind.Normal)
        {
            logger.LogWarning("Ticket {Number} was opened from {Kind} mail; no acknowledgement", opened.Ticket.Number, opened.Verdict.Kind);
            return $"No acknowledgement: the email is {opened.Verdict.Kind}.";
        }

        var to = opened.Email.From?.Address?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(to))
        {
            return "No acknowledgement: the email has no sender address.";
        }

        var since = opened.Now - TimeSpan.FromHours(1);
        var recent = await db.Set<OutboundMessage>().CountAsync(o => o.Kind == OutboundKind.Acknowledgement && o.To == to && o.CreatedAt >= since, cancellationToken);
        if (recent >= settings.MaxPerSenderPerHour)
        {
            return $"No acknowledgement: {recent} were already sent to {to} in the last hour (loop brake: at most {settings.MaxPerSenderPerHour} per sender per hour).";
        }

        var ticket = opened.Ticket;
        var name = opened.Email.From?.Name is { Length: > 0 } n ? n : to;
        var subject = Render(settings.SubjectTemplate, ticket.Number, ticket.Subject, name, html: false);
        var tag = TicketSubject.Tag(ticket.Number);
        if (!subject.Contains(tag, StringComparison.OrdinalIgnoreCase))
        {
            subject = $"{tag} {subject}";
        }

        var references = opened.Email.References.Append(opened.Email.MessageId).Where(r => !string.IsNullOrEmpty(r)).Distinct().ToList();
        db.Add(new OutboundMessage
        {
            Kind = OutboundKind.Acknowledgement,
            TicketId = ticket.Id,
            PreferredMailboxId = opened.MailboxId,
            To = to,
            ToName = opened.Email.From?.Name,
            Subject = subject.Length > 1000 ? subject[..1000] : subject,
            BodyHtml = Render(settings.BodyTemplate, ticket.Number, ticket.Subject, name, html: true),
            InternetMessageId = OutboundMime.NewMessageId(deployment.DeploymentId),
            InReplyTo = opened.Email.MessageId,
            References = references.Count == 0 ? null : string.Join(' ', references),
            CreatedAt = opened.Now,
            NextAttemptAt = opened.Now,
        });
        return $"Acknowledgement queued to {to}.";
    }

    public void Committed() => signal.Wake();

    internal static string Render(string template, int number, string subject, string requesterName, bool html)
    {
        string Encode(string value) => html ? WebUtility.HtmlEncode(value) : value;
        var text = Encode(template)
            .Replace("{TicketNumber}", number.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.OrdinalIgnoreCase)
            .Replace("{Subject}", Encode(subject), StringComparison.OrdinalIgnoreCase)
            .Replace("{RequesterName}", Encode(requesterName), StringComparison.OrdinalIgnoreCase);
        return html ? "<div>" + text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "<br>", StringComparison.Ordinal) + "</div>" : text;
    }
}
