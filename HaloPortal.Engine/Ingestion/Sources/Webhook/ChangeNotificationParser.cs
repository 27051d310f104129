using System.Text;
using System.Text.Json;

namespace HaloPortal.Engine.Ingestion.Sources.Webhook;

/// <summary>One item of a Graph notification batch, as sent: not yet matched to a subscription.</summary>
internal readonly record struct ChangeNotificationItem(JsonElement Element, string SubscriptionId, string? ClientState, string? MessageId, string? LifecycleEvent)
{
    /// <summary>The item's JSON as received.</summary>
    public byte[] Raw() => Encoding.UTF8.GetBytes(Element.GetRawText());
}

/// <summary>A parsed batch; its items refer to the parsed document, so dispose it after the items are used.</summary>
internal sealed class ChangeNotificationBatch(JsonDocument document, IReadOnlyList<ChangeNotificationItem> items) : IDisposable
{
    public IReadOnlyList<ChangeNotificationItem> Items { get; } = items;

    public void Dispose() => document.Dispose();
}

/// <summary>A batch with more items than Portal:Webhooks:MaxItemsPerBatch.</summary>
internal sealed class TooManyItemsException(int count, int max)
    : Exception($"The batch has {count} items; at most {max} are accepted in one POST (Portal:Webhooks:MaxItemsPerBatch).")
{
    public int Count { get; } = count;
}

/// <summary>
/// Reads a Graph notification POST (<c>{"value":[...]}</c>) into its items. Pure: no database, no subscriptions, no clock. A body
/// that is not a notification batch is a <see cref="FormatException"/> saying what is wrong; more than <c>maxItems</c> items is a
/// <see cref="TooManyItemsException"/>, thrown before any item is read.
/// </summary>
internal static class ChangeNotificationParser
{
    public static ChangeNotificationBatch Parse(ReadOnlyMemory<byte> body, RequestKind kind, int maxItems)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The body is not JSON ({ex.Message}).");
        }

        try
        {
            return new ChangeNotificationBatch(document, ReadItems(document.RootElement, kind, maxItems));
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    private static List<ChangeNotificationItem> ReadItems(JsonElement root, RequestKind kind, int maxItems)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("Expected {\"value\":[...]} with one item per notification.");
        }

        var count = value.GetArrayLength();
        if (count > maxItems)
        {
            throw new TooManyItemsException(count, maxItems);
        }

        var items = new List<ChangeNotificationItem>(count);
        foreach (var element in value.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("Every item of \"value\" must be an object.");
            }

            var subscriptionId = Text(element, "subscriptionId") ?? throw new FormatException("An item has no subscriptionId.");
            string? messageId = null;
            string? lifecycleEvent = null;
            if (kind == RequestKind.Webhook)
            {
                messageId = (element.TryGetProperty("resourceData", out var data) && data.ValueKind == JsonValueKind.Object ? Text(data, "id") : null)
                    ?? throw new FormatException("An item has no resourceData.id (the message id).");
            }
            else
            {
                lifecycleEvent = Text(element, "lifecycleEvent") ?? throw new FormatException("A lifecycle item has no lifecycleEvent.");
            }

            items.Add(new ChangeNotificationItem(element, subscriptionId, Text(element, "clientState"), messageId, lifecycleEvent));
        }

        return items;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var property) && property.ValueKind == JsonValueKind.String && property.GetString() is { Length: > 0 } text ? text : null;
}
