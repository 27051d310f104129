using System.Text;

namespace HaloPortal.Engine.Portal;

/// <summary>
/// Makes text that came from outside (a request's path, a webhook's fields, an exception message that quotes them, a remote
/// address) safe to write into a log line: no newlines or other control characters (no forged log lines), and bounded length.
/// </summary>
public static class LogText
{
    /// <summary>The default longest text kept, in characters.</summary>
    public const int DefaultMax = 200;

    /// <summary>The text with every control or line/paragraph-separator character replaced by '?', cut to <paramref name="max"/> characters (marked with "…").</summary>
    public static string Clean(string? text, int max = DefaultMax)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var length = Math.Min(text.Length, Math.Max(1, max));
        var clean = new StringBuilder(length + 1);
        for (var i = 0; i < length; i++)
        {
            var c = text[i];
            clean.Append(char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085' ? '?' : c);
        }

        if (text.Length > length)
        {
            clean.Append('…');
        }

        return clean.ToString();
    }

    /// <summary><see cref="Clean(string?, int)"/> of an object's text (an IP address, a path).</summary>
    public static string Clean(object? value, int max = DefaultMax) => Clean(value?.ToString(), max);
}
