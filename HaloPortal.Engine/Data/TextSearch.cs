namespace HaloPortal.Engine.Data;

/// <summary>
/// Case-insensitive "contains" for search boxes that behaves the same on SQLite and PostgreSQL. SQLite's LIKE ignores
/// ASCII case and PostgreSQL's does not, so both sides are lower-cased: query as
/// <c>EF.Functions.Like(column.ToLower(), TextSearch.ContainsPattern(text), TextSearch.Escape)</c>. The user's own
/// <c>%</c>, <c>_</c> and <c>\</c> are matched literally.
/// </summary>
internal static class TextSearch
{
    /// <summary>The LIKE escape character used by <see cref="ContainsPattern"/>.</summary>
    public const string Escape = "\\";

    /// <summary>A lower-case LIKE pattern that matches <paramref name="text"/> anywhere.</summary>
    public static string ContainsPattern(string text) =>
        "%" + text.Trim().ToLowerInvariant().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
}
