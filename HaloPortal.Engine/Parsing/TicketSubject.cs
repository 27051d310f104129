using System.Globalization;
using System.Text.RegularExpressions;

namespace HaloPortal.Engine.Parsing;

/// <summary>The ticket tag carried in subjects ("[Ticket #1234]") and subject normalisation for threading.</summary>
internal static partial class TicketSubject
{
    /// <summary>The tag put in outgoing subjects: "[Ticket #1234]".</summary>
    public static string Tag(int ticketNumber) => string.Create(CultureInfo.InvariantCulture, $"[Ticket #{ticketNumber}]");

    /// <summary>
    /// Finds a ticket number anywhere in the subject: "[Ticket #1234]" or "[#1234]" first, then a bare
    /// "Ticket #1234". Reply/forward prefixes in any position do not matter.
    /// </summary>
    public static bool TryExtractNumber(string subject, out int number)
    {
        number = 0;
        if (string.IsNullOrEmpty(subject))
            return false;
        foreach (var regex in new[] { BracketedTag(), BareTag() })
        {
            foreach (Match match in regex.Matches(subject))
            {
                if (int.TryParse(match.Groups["n"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
                {
                    number = n;
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>
    /// Strips reply/forward prefixes (RE:, Re:, FW:, Fwd:, AW:, WG:, SV:, VS:, TR:, RV:, Antw:, Re[2]:..., repeated)
    /// and every ticket tag, collapses whitespace and trims: "RE: AW: [Ticket #12] Printer" → "Printer".
    /// </summary>
    public static string Normalise(string subject)
    {
        if (string.IsNullOrEmpty(subject))
            return "";
        var current = WhiteSpace().Replace(subject, " ").Trim();
        while (true)
        {
            var next = Prefix().Replace(current, "");
            next = BracketedTag().Replace(next, " ");
            next = WhiteSpace().Replace(next, " ").Trim();
            if (next == current)
                return next;
            current = next;
        }
    }

    [GeneratedRegex(@"\[\s*(?:Ticket\s*)?#\s*(?<n>\d{1,9})\s*\]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BracketedTag();

    [GeneratedRegex(@"(?<![\w#])Ticket\s*#\s*(?<n>\d{1,9})(?!\d)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BareTag();

    [GeneratedRegex(@"^(?:(?:re|fw|fwd|aw|wg|sv|vs|tr|rv|antw|odp|ynt|回复|答复|转发|回覆|答覆|轉寄|轉發|返信|転送|отв|ответ|пересл|απ|σχετ|πρθ)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Prefix();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
