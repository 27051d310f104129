using HaloPortal.Engine.Rules;

namespace HaloPortal.Components.Pages.Configuration.Email.Rules;

/// <summary>Plain words for rule fields and actions.</summary>
internal static class RuleLabels
{
    public static string Field(RuleField field) => field switch
    {
        RuleField.SenderAddress => "Sender address is",
        RuleField.SenderDomain => "Sender domain is",
        RuleField.Recipient => "A recipient (To/Cc) is",
        RuleField.SubjectContains => "Subject contains",
        RuleField.SubjectMatches => "Subject matches pattern",
        RuleField.HeaderEquals => "Header equals",
        RuleField.BodyContains => "Body contains",
        RuleField.HasAttachments => "Has attachments",
        _ => field.ToString(),
    };

    public static string Action(RuleAction action) => action switch
    {
        RuleAction.Ignore => "Ignore (log it, make no ticket)",
        RuleAction.Delete => "Delete from the mailbox (log it, make no ticket)",
        RuleAction.CreateTicket => "Create the ticket with a priority and category",
        _ => action.ToString(),
    };

    public static string Describe(RuleCondition c) => c.Field == RuleField.HeaderEquals
        ? $"header {c.HeaderName} = “{c.Value}”"
        : $"{Field(c.Field).ToLowerInvariant()} “{c.Value}”";
}
