using System.Text.Json;

namespace HaloPortal.Components.Pages.Configuration.Advanced;

/// <summary>One top-level member of an audited state, pretty-printed, and whether it differs on the other side.</summary>
public sealed record AuditDiffLine(string Key, string Text, bool Changed);

/// <summary>Lays an audit entry's Before and After JSON side by side and marks the members that changed.</summary>
public static class AuditDiff
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static (IReadOnlyList<AuditDiffLine> Before, IReadOnlyList<AuditDiffLine> After) Compare(string? before, string? after)
    {
        var left = Parse(before);
        var right = Parse(after);
        return (Lines(left, right), Lines(right, left));
    }

    private static IReadOnlyList<AuditDiffLine> Lines(JsonElement? side, JsonElement? other)
    {
        if (side is not { } element)
        {
            return [];
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            var changed = other is not { } o || !JsonElement.DeepEquals(element, o);
            return [new AuditDiffLine("", Pretty(element), changed)];
        }

        var otherMembers = other is { ValueKind: JsonValueKind.Object } obj
            ? obj.EnumerateObject().GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.First().Value)
            : [];
        return element.EnumerateObject()
            .Select(p => new AuditDiffLine(
                p.Name,
                $"\"{p.Name}\": {Pretty(p.Value).Replace("\n", "\n  ", StringComparison.Ordinal)}",
                !otherMembers.TryGetValue(p.Name, out var theirs) || !JsonElement.DeepEquals(p.Value, theirs)))
            .ToList();
    }

    private static string Pretty(JsonElement element) =>
        JsonSerializer.Serialize(element, Indented).Replace("\r\n", "\n", StringComparison.Ordinal);

    private static JsonElement? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            // Not JSON (should not happen): show it as a plain string rather than failing the page.
            return JsonSerializer.SerializeToElement(json);
        }
    }
}
