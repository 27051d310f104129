using System.Globalization;
using System.Text.Json.Nodes;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Mail;

namespace HaloPortal.Sandbox.Graph;

/// <summary>Renders stored messages, folders and attachments as Graph resources.</summary>
internal static class MessageJson
{
    public static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The body type the caller prefers (<c>Prefer: outlook.body-content-type="text"</c>), html otherwise.</summary>
    public static bool PrefersText(GraphRequest request) =>
        request.Header("Prefer")?.Contains("outlook.body-content-type=\"text\"", StringComparison.OrdinalIgnoreCase) == true
        || request.Header("Prefer")?.Contains("outlook.body-content-type=text", StringComparison.OrdinalIgnoreCase) == true;

    public static JsonObject Message(SbMessage m, SbMessageContent? content, bool preferText, ISet<string>? select, string userId)
    {
        var json = new JsonObject
        {
            ["@odata.etag"] = SandboxIds.ETag(m.ChangeSeq),
            ["id"] = m.Id,
        };

        void Add(string name, Func<JsonNode?> value)
        {
            if (select is null ? name != "internetMessageHeaders" && name != "uniqueBody" : select.Contains(name))
            {
                json[name] = value();
            }
        }

        Add("createdDateTime", () => Time(m.CreatedAt));
        Add("lastModifiedDateTime", () => Time(m.LastModifiedAt));
        Add("changeKey", () => SandboxIds.ChangeKey(m.ChangeSeq));
        Add("categories", () => new JsonArray(m.Categories.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()));
        Add("receivedDateTime", () => Time(m.ReceivedAt));
        Add("sentDateTime", () => Time(m.SentAt));
        Add("hasAttachments", () => m.HasAttachments);
        Add("internetMessageId", () => m.InternetMessageId);
        Add("subject", () => m.Subject);
        Add("bodyPreview", () => m.BodyPreview);
        Add("importance", () => m.Importance);
        Add("parentFolderId", () => m.FolderId);
        Add("conversationId", () => m.ConversationId);
        Add("conversationIndex", () => Convert.ToBase64String(BitConverter.GetBytes(m.CreatedAt.UtcTicks)));
        Add("isDeliveryReceiptRequested", () => false);
        Add("isReadReceiptRequested", () => false);
        Add("isRead", () => m.IsRead);
        Add("isDraft", () => m.IsDraft);
        Add("webLink", () => $"https://outlook.sandbox.haloportal.invalid/owa/?ItemID={Uri.EscapeDataString(m.Id)}&exvsurl=1&viewmodel=ReadMessageItem");
        Add("inferenceClassification", () => "focused");
        if (content is not null)
        {
            Add("body", () => Body(content, preferText));
            Add("uniqueBody", () => Body(content, preferText));
            Add("internetMessageHeaders", () => new JsonArray(content.Headers
                .Select(h => (JsonNode?)new JsonObject { ["name"] = h.Name, ["value"] = h.Value }).ToArray()));
        }

        Add("sender", () => Recipient(m.Sender));
        Add("from", () => Recipient(m.From));
        Add("toRecipients", () => Recipients(m.To));
        Add("ccRecipients", () => Recipients(m.Cc));
        Add("bccRecipients", () => Recipients(m.Bcc));
        Add("replyTo", () => Recipients(m.ReplyTo));
        Add("flag", () => new JsonObject { ["flagStatus"] = m.FlagStatus });
        return json;
    }

    public static JsonObject Folder(SbFolder f, int childCount, int unread, int total) => new()
    {
        ["id"] = f.Id,
        ["displayName"] = f.DisplayName,
        ["parentFolderId"] = f.ParentId,
        ["childFolderCount"] = childCount,
        ["unreadItemCount"] = unread,
        ["totalItemCount"] = total,
        ["sizeInBytes"] = 0,
        ["isHidden"] = false,
    };

    public static JsonObject Attachment(SbAttachment a, bool withContent)
    {
        var json = new JsonObject
        {
            ["@odata.type"] = "#microsoft.graph.fileAttachment",
            ["@odata.mediaContentType"] = a.ContentType,
            ["id"] = a.Id,
            ["lastModifiedDateTime"] = Time(a.LastModifiedAt),
            ["name"] = a.Name,
            ["contentType"] = a.ContentType,
            ["size"] = a.Content.Length,
            ["isInline"] = a.IsInline,
            ["contentId"] = a.ContentId,
            ["contentLocation"] = null,
        };
        if (withContent)
        {
            json["contentBytes"] = Convert.ToBase64String(a.Content);
        }

        return json;
    }

    /// <summary>$select, as a set of property names (case-insensitive); null when absent.</summary>
    public static HashSet<string>? Select(GraphRequest request)
    {
        var select = request.QueryValue("$select");
        return string.IsNullOrWhiteSpace(select)
            ? null
            : select.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    private static JsonObject Body(SbMessageContent content, bool preferText)
    {
        if (preferText)
        {
            return new JsonObject { ["contentType"] = "text", ["content"] = content.BodyText };
        }

        return new JsonObject { ["contentType"] = "html", ["content"] = content.BodyHtml ?? MimeConverter.TextToHtml(content.BodyText) };
    }

    private static JsonNode? Recipient(SbRecipient? r) =>
        r is null ? null : new JsonObject { ["emailAddress"] = new JsonObject { ["name"] = r.Name ?? r.Address, ["address"] = r.Address } };

    private static JsonArray Recipients(IEnumerable<SbRecipient> list) => new(list.Select(Recipient).ToArray());
}
