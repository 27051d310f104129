using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Ingestion;

/// <summary>One processing attempt of an email (scan, manual import, webhook, replay) with its raw data and a step-by-step log.</summary>
public sealed class InboundRequest
{
    public long Id { get; set; }

    public long? InboundEmailId { get; set; }

    public int MailboxId { get; set; }

    public RequestKind Kind { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public RequestOutcome Outcome { get; set; } = RequestOutcome.Pending;

    /// <summary>application/json (Graph resource, notification) or message/rfc822.</summary>
    public string RawContentType { get; set; } = "application/json";

    public byte[]? RawData { get; set; }

    /// <summary>The processing log as JSON (a list of <see cref="LogLine"/>).</summary>
    public string LogJson { get; set; } = "[]";

    /// <summary>The request this one replays.</summary>
    public long? ReplayOfRequestId { get; set; }

    public IReadOnlyList<LogLine> Log => JsonSerializer.Deserialize<List<LogLine>>(LogJson, LogLine.Json) ?? [];
}

/// <summary>One line of a processing log.</summary>
public sealed record LogLine(DateTimeOffset At, string Level, string Message)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

public enum RequestKind
{
    Scan,
    ManualImport,
    Webhook,
    Replay,
    Lifecycle,
}

public enum RequestOutcome
{
    Pending,
    Succeeded,
    Ignored,
    Failed,
    Rejected,
}

internal sealed class InboundRequestConfiguration : IEntityTypeConfiguration<InboundRequest>
{
    public void Configure(EntityTypeBuilder<InboundRequest> builder)
    {
        builder.ToTable("InboundRequests");
        builder.Property(r => r.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Outcome).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.RawContentType).HasMaxLength(64);
        builder.Ignore(r => r.Log);
        builder.HasIndex(r => r.InboundEmailId);
        builder.HasIndex(r => new { r.MailboxId, r.ReceivedAt });
        builder.HasOne<InboundEmail>().WithMany().HasForeignKey(r => r.InboundEmailId).OnDelete(DeleteBehavior.Cascade);
    }
}
