using HaloPortal.Engine.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Rules;

/// <summary>An ordered rule that ignores, deletes or shapes incoming mail (Configuration &gt; Email &gt; Email Rules). The first match wins.</summary>
public sealed class EmailRule
{
    public int Id { get; set; }

    public int Order { get; set; }

    public string Name { get; set; } = "";

    public bool Enabled { get; set; } = true;

    /// <summary>Null: every mailbox.</summary>
    public int? MailboxId { get; set; }

    public List<RuleCondition> Conditions { get; set; } = [];

    public RuleAction Action { get; set; } = RuleAction.Ignore;

    /// <summary>For <see cref="RuleAction.CreateTicket"/>.</summary>
    public TicketPriority? Priority { get; set; }

    public string? Category { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One condition; all conditions of a rule must match.</summary>
public sealed record RuleCondition(RuleField Field, string Value, string? HeaderName = null);

public enum RuleField
{
    /// <summary>Sender address, exact (case-insensitive).</summary>
    SenderAddress,

    /// <summary>Sender domain, or a parent domain.</summary>
    SenderDomain,

    /// <summary>Any To/Cc address, exact.</summary>
    Recipient,

    SubjectContains,

    /// <summary>A .NET regular expression over the subject (case-insensitive, 100 ms timeout).</summary>
    SubjectMatches,

    /// <summary>The header <see cref="RuleCondition.HeaderName"/> equals the value (case-insensitive).</summary>
    HeaderEquals,

    BodyContains,

    /// <summary>Value "true" or "false".</summary>
    HasAttachments,
}

public enum RuleAction
{
    /// <summary>Log as ignored; leave the mail where it is (moved to Processed like any other).</summary>
    Ignore,

    /// <summary>Log as ignored and delete the message from the mailbox.</summary>
    Delete,

    /// <summary>Create the ticket with the rule's priority and category.</summary>
    CreateTicket,
}

internal sealed class EmailRuleConfiguration : IEntityTypeConfiguration<EmailRule>
{
    public void Configure(EntityTypeBuilder<EmailRule> builder)
    {
        builder.ToTable("EmailRules");
        builder.Property(r => r.Name).HasMaxLength(200).IsRequired();
        builder.Property(r => r.Action).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Priority).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Category).HasMaxLength(200);
        builder.Property(r => r.Conditions).HasConversion(
            v => System.Text.Json.JsonSerializer.Serialize(v, RuleJson.Options),
            v => System.Text.Json.JsonSerializer.Deserialize<List<RuleCondition>>(v, RuleJson.Options) ?? new List<RuleCondition>(),
            new Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer<List<RuleCondition>>(
                (a, b) => a!.SequenceEqual(b!), v => v.Aggregate(0, (h, c) => HashCode.Combine(h, c)), v => v.ToList()));
        builder.HasIndex(r => r.Order);
    }
}

internal static class RuleJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}
