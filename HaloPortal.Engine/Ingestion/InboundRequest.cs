using System.Text.Json;
using HaloPortal.Engine.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HaloPortal.Engine.Ingestion;

/// <summary>
/// One processing attempt of an email (scan, manual import, webhook, replay) with its raw data and a step-by-step log. Every source
/// opens its requests with <see cref="Open"/> and writes their log and outcome through <see cref="Append(string, string, DateTimeOffset)"/>
/// and <see cref="Complete"/>: one writer, so the inbound log reads the same whichever hop wrote it.
/// </summary>
internal sealed class InboundRequest : IClaimable
{
    /// <summary>A new, pending request whose log starts with <paramref name="message"/>.</summary>
    internal static InboundRequest Open(int mailboxId, RequestKind kind, DateTimeOffset at, string message, long? emailId = null, string level = "Info") => new()
    {
        InboundEmailId = emailId,
        MailboxId = mailboxId,
        Kind = kind,
        ReceivedAt = at,
        LogJson = JsonSerializer.Serialize(new[] { new LogLine(at, level, message) }, LogLine.Json),
    };

    /// <summary>Keeps what arrived (a Graph resource or notification as JSON, or a MIME message) as the request's raw data.</summary>
    internal InboundRequest WithRaw(byte[]? raw, string contentType = "application/json")
    {
        RawData = raw;
        RawContentType = contentType;
        return this;
    }

    /// <summary>Adds one line to the log.</summary>
    internal void Append(string level, string message, DateTimeOffset at) => Append([new LogLine(at, level, message)]);

    /// <summary>Adds the lines a <see cref="ProcessingLog"/> collected.</summary>
    internal void Append(ProcessingLog log) => LogJson = ProcessingLog.Append(LogJson, log);

    /// <summary>Adds lines to the log.</summary>
    internal void Append(IEnumerable<LogLine> lines)
    {
        var log = JsonSerializer.Deserialize<List<LogLine>>(LogJson, LogLine.Json) ?? [];
        log.AddRange(lines);
        LogJson = JsonSerializer.Serialize(log, LogLine.Json);
    }

    /// <summary>Closes the request with its outcome.</summary>
    internal void Complete(RequestOutcome outcome, DateTimeOffset at)
    {
        Outcome = outcome;
        CompletedAt = at;
    }

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

    /// <summary>When retention removed the raw data (null while it is kept).</summary>
    public DateTimeOffset? RawPurgedAt { get; set; }

    /// <summary>The processing log as JSON (a list of <see cref="LogLine"/>).</summary>
    public string LogJson { get; set; } = "[]";

    /// <summary>The request this one replays.</summary>
    public long? ReplayOfRequestId { get; set; }

    /// <summary>The portal node that received the request, then the one that processed it.</summary>
    public string? Node { get; set; }

    /// <summary>The node process handling the request now (lifecycle events: handled once, by one node).</summary>
    public string? ClaimedBy { get; set; }

    public DateTimeOffset? ClaimExpiresAt { get; set; }

    /// <summary>
    /// The W3C traceparent of the activity that received the request (a webhook notification), so the worker that processes it later,
    /// on this node after a restart or on another, continues the same trace. Null when nothing was traced.
    /// </summary>
    public string? TraceParent { get; set; }

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
        builder.Property(r => r.Node).HasMaxLength(64);
        builder.Property(r => r.ClaimedBy).HasMaxLength(32);
        builder.Property(r => r.TraceParent).HasMaxLength(55);
        builder.Ignore(r => r.Log);
        builder.HasIndex(r => r.InboundEmailId);
        builder.HasIndex(r => new { r.MailboxId, r.ReceivedAt });
        builder.HasOne<InboundEmail>().WithMany().HasForeignKey(r => r.InboundEmailId).OnDelete(DeleteBehavior.Cascade);
    }
}
