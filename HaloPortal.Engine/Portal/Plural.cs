using System.Globalization;

namespace HaloPortal.Engine.Portal;

/// <summary>Counts in words people read: "1 email", "3 emails", never "3 email(s)".</summary>
public static class Plural
{
    /// <summary>"1 email" / "2 emails"; <paramref name="plural"/> for irregular nouns ("1 reply" / "2 replies").</summary>
    public static string Of(long count, string singular, string? plural = null) =>
        count.ToString("N0", CultureInfo.InvariantCulture) + " " + Noun(count, singular, plural);

    /// <summary>The noun alone, for sentences that put the number elsewhere.</summary>
    public static string Noun(long count, string singular, string? plural = null) =>
        count == 1 ? singular : plural ?? singular + "s";
}
