namespace HaloPortal.Sandbox.Data;

internal sealed class SbFolder
{
    public required string Id { get; set; }
    public Guid MailboxId { get; set; }
    public string? ParentId { get; set; }
    public required string DisplayName { get; set; }
    /// <summary>inbox, sentitems, deleteditems, archive, drafts, junkemail, msgfolderroot; null for user folders.</summary>
    public string? WellKnownName { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed record SbRecipient(string? Name, string Address);

internal sealed record SbHeader(string Name, string Value);

/// <summary>A message's listable properties; the heavy parts live in <see cref="SbMessageContent"/>.</summary>
internal sealed class SbMessage
{
    public required string Id { get; set; }
    public Guid MailboxId { get; set; }
    public required string FolderId { get; set; }
    public long ChangeSeq { get; set; }
    public string? InternetMessageId { get; set; }
    public required string ConversationId { get; set; }
    public string Subject { get; set; } = "";
    public SbRecipient? From { get; set; }
    public SbRecipient? Sender { get; set; }
    public List<SbRecipient> To { get; set; } = [];
    public List<SbRecipient> Cc { get; set; } = [];
    public List<SbRecipient> Bcc { get; set; } = [];
    public List<SbRecipient> ReplyTo { get; set; } = [];
    public List<string> Categories { get; set; } = [];
    public string BodyPreview { get; set; } = "";
    public string Importance { get; set; } = "normal";
    public string FlagStatus { get; set; } = "notFlagged";
    public bool IsRead { get; set; }
    public bool IsDraft { get; set; }
    public bool HasAttachments { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset SentAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastModifiedAt { get; set; }
}

internal sealed class SbMessageContent
{
    public required string MessageId { get; set; }
    public required byte[] Mime { get; set; }
    public string? BodyHtml { get; set; }
    public string BodyText { get; set; } = "";
    public List<SbHeader> Headers { get; set; } = [];
}

internal sealed class SbAttachment
{
    public required string Id { get; set; }
    public required string MessageId { get; set; }
    public required string Name { get; set; }
    public required string ContentType { get; set; }
    public bool IsInline { get; set; }
    public string? ContentId { get; set; }
    public required byte[] Content { get; set; }
    public DateTimeOffset LastModifiedAt { get; set; }
}

/// <summary>Something removed from a folder (or the contacts), for delta queries' <c>@removed</c>.</summary>
internal sealed class SbTombstone
{
    public long Id { get; set; }
    public Guid MailboxId { get; set; }
    /// <summary>The folder id, or <see cref="ContactsContainer"/>.</summary>
    public required string ContainerId { get; set; }
    public required string ItemId { get; set; }
    public long ChangeSeq { get; set; }
    public DateTimeOffset RemovedAt { get; set; }

    public const string ContactsContainer = "contacts";
}

internal sealed class SbContact
{
    public required string Id { get; set; }
    public Guid MailboxId { get; set; }
    public long ChangeSeq { get; set; }
    public string DisplayName { get; set; } = "";
    /// <summary>The Graph contact resource without its system properties.</summary>
    public required string Json { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastModifiedAt { get; set; }
}

/// <summary>A monotonic counter (the change sequence behind delta tokens and change keys).</summary>
internal sealed class SbCounter
{
    public required string Name { get; set; }
    public long Value { get; set; }
}
