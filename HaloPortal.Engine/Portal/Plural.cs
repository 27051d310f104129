using System.Globalization;

namespace HaloPortal.Engine.Portal;

/// <summary>Counts in words people read: "1 email", "3 emails", never "3 email(s)".</summary>
public static class Plural
{
    /// <summary>"1 email" / "1,204 emails" (regular nouns: an "s" is added).</summary>
    public static string Of(long count, string singular) =>
        count.ToString("N0", CultureInfo.InvariantCulture) + " " + (count == 1 ? singular : singular + "s");
}
