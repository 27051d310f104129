using System.Text.RegularExpressions;
using HaloPortal.Engine.Parsing;

namespace HaloPortal.Engine.Rules;

/// <summary>Finds the first enabled rule (by order) whose conditions all match an email.</summary>
internal static class RuleEvaluator
{
    public static EmailRule? FirstMatch(IEnumerable<EmailRule> rules, int mailboxId, ParsedEmail email) =>
        rules.Where(r => r.Enabled && (r.MailboxId is null || r.MailboxId == mailboxId) && r.Conditions.Count > 0)
            .OrderBy(r => r.Order).ThenBy(r => r.Id)
            .FirstOrDefault(r => r.Conditions.All(c => Matches(c, email)));

    public static bool Matches(RuleCondition condition, ParsedEmail email)
    {
        var value = condition.Value?.Trim() ?? "";
        var sender = email.From?.Address ?? "";
        return condition.Field switch
        {
            RuleField.SenderAddress => sender.Equals(value, StringComparison.OrdinalIgnoreCase),
            RuleField.SenderDomain => DomainMatches(sender, value),
            RuleField.Recipient => email.To.Concat(email.Cc).Any(a => a.Address.Equals(value, StringComparison.OrdinalIgnoreCase)),
            RuleField.SubjectContains => email.Subject.Contains(value, StringComparison.OrdinalIgnoreCase),
            RuleField.SubjectMatches => SafeRegex(value, email.Subject),
            RuleField.HeaderEquals => condition.HeaderName is { } name && email.Headers.TryGetValue(name, out var header)
                && header.Trim().Equals(value, StringComparison.OrdinalIgnoreCase),
            RuleField.BodyContains => (email.TextBody ?? "").Contains(value, StringComparison.OrdinalIgnoreCase)
                || (email.HtmlBody ?? "").Contains(value, StringComparison.OrdinalIgnoreCase),
            RuleField.HasAttachments => bool.TryParse(value, out var wanted) && wanted == email.Attachments.Any(a => !a.IsInline),
            _ => false,
        };
    }

    private static bool DomainMatches(string address, string domain)
    {
        var at = address.LastIndexOf('@');
        if (at < 0 || domain.Length == 0)
        {
            return false;
        }

        var host = address[(at + 1)..];
        var wanted = domain.TrimStart('@');
        return host.Equals(wanted, StringComparison.OrdinalIgnoreCase) || host.EndsWith("." + wanted, StringComparison.OrdinalIgnoreCase);
    }

    private static bool SafeRegex(string pattern, string input)
    {
        try
        {
            return Regex.IsMatch(input, pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (Exception ex) when (ex is ArgumentException or RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
