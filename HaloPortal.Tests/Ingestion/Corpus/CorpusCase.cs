using System.Text;

namespace HaloPortal.Tests.Ingestion.Corpus;

/// <summary>What one hostile message must become.</summary>
internal enum Expected
{
    /// <summary>A new ticket with the given requester, subject, body excerpt and attachments.</summary>
    Ticket,

    /// <summary>An update of the ticket that <see cref="CorpusCase.ThreadsTo"/> opened (a case name, or "seed").</summary>
    Reply,

    /// <summary>No ticket; the inbound log gives <see cref="CorpusCase.Reason"/>.</summary>
    Ignored,

    /// <summary>Failed with <see cref="CorpusCase.Reason"/>; the raw message is kept.</summary>
    Failed,
}

/// <summary>One message of the corpus with its expected ticket. <see cref="Copies"/> &gt; 1 delivers the same bytes again.</summary>
internal sealed record CorpusCase(string Category, string Name, byte[] Mime, Expected Outcome)
{
    public string? Requester { get; init; }

    public string? Subject { get; init; }

    /// <summary>Text the ticket message's body must contain (compared with whitespace collapsed).</summary>
    public string? Excerpt { get; init; }

    /// <summary>Text the ticket message's body must not contain (quoted history that should have been trimmed).</summary>
    public string? NotInBody { get; init; }

    /// <summary>Attachment file names the ticket message must hold (exactly these, in any order); null to skip the check.</summary>
    public string[]? Attachments { get; init; }

    public string? ThreadsTo { get; init; }

    public string? Reason { get; init; }

    /// <summary>For an ignored bounce: the case whose ticket it is attached to.</summary>
    public string? AttachedTo { get; init; }

    public int Copies { get; init; } = 1;

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public override string ToString() => $"{Category}/{Name}";
}
