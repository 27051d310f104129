using System.Text.Json;

namespace HaloPortal.Engine.Ingestion;

/// <summary>Collects the step-by-step log of one request, written to the request when it completes.</summary>
internal sealed class ProcessingLog(TimeProvider time)
{
    private readonly List<LogLine> _lines = [];

    /// <summary>
    /// The email's activity for this attempt (null when nothing is traced). It travels with the log because the log is what follows
    /// one email through the batched stages.
    /// </summary>
    public System.Diagnostics.Activity? Trace { get; init; }

    public void Info(string message) => _lines.Add(new LogLine(time.GetUtcNow(), "Info", message));

    public void Warn(string message) => _lines.Add(new LogLine(time.GetUtcNow(), "Warning", message));

    public void Error(string message) => _lines.Add(new LogLine(time.GetUtcNow(), "Error", message));

    /// <summary>A point to return to when the work logged after it is undone (a transaction rolled back and retried).</summary>
    public int Mark() => _lines.Count;

    /// <summary>Forgets the lines logged since <paramref name="mark"/>.</summary>
    public void Reset(int mark) => _lines.RemoveRange(mark, _lines.Count - mark);

    public string ToJson() => JsonSerializer.Serialize(_lines, LogLine.Json);

    public static string Append(string existingJson, ProcessingLog log)
    {
        var existing = JsonSerializer.Deserialize<List<LogLine>>(existingJson, LogLine.Json) ?? [];
        existing.AddRange(log._lines);
        return JsonSerializer.Serialize(existing, LogLine.Json);
    }
}
