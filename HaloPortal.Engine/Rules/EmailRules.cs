using System.Text.RegularExpressions;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Tickets;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.Rules;

/// <summary>What an administrator enters for a rule.</summary>
public sealed record EmailRuleInput(string Name, bool Enabled, int? MailboxId, IReadOnlyList<RuleCondition> Conditions, RuleAction Action, TicketPriority? Priority, string? Category);

/// <summary>Configuration &gt; Email &gt; Email Rules: ordered rules; the first enabled match wins.</summary>
public interface IEmailRules
{
    Task<IReadOnlyList<EmailRule>> ListAsync(CancellationToken cancellationToken = default);

    /// <exception cref="ArgumentException">A condition or action is invalid (message says which and why).</exception>
    Task<EmailRule> CreateAsync(EmailRuleInput input, Actor actor, CancellationToken cancellationToken = default);

    Task<EmailRule> UpdateAsync(int id, EmailRuleInput input, Actor actor, CancellationToken cancellationToken = default);

    Task DeleteAsync(int id, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Sets the evaluation order to the given ids, first to last.</summary>
    Task ReorderAsync(IReadOnlyList<int> orderedIds, Actor actor, CancellationToken cancellationToken = default);
}

internal sealed class EmailRules(IDbContextFactory<PortalDbContext> contexts, TimeProvider time) : IEmailRules
{
    public async Task<IReadOnlyList<EmailRule>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<EmailRule>().AsNoTracking().OrderBy(r => r.Order).ThenBy(r => r.Id).ToListAsync(cancellationToken);
    }

    public async Task<EmailRule> CreateAsync(EmailRuleInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        Validate(input);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var order = (await db.Set<EmailRule>().MaxAsync(r => (int?)r.Order, cancellationToken) ?? 0) + 10;
        var rule = new EmailRule { Order = order, CreatedAt = time.GetUtcNow() };
        Apply(rule, input);
        db.Add(rule);
        await db.SaveChangesAsync(cancellationToken);
        db.Audit(time, actor, "EmailRule.Created", "EmailRule", rule.Id.ToString(), null, Snapshot(rule));
        await db.SaveChangesAsync(cancellationToken);
        return rule;
    }

    public async Task<EmailRule> UpdateAsync(int id, EmailRuleInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        Validate(input);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rule = await db.Set<EmailRule>().SingleOrDefaultAsync(r => r.Id == id, cancellationToken) ?? throw new KeyNotFoundException($"Email rule {id} does not exist.");
        var before = Snapshot(rule);
        Apply(rule, input);
        db.Audit(time, actor, "EmailRule.Updated", "EmailRule", id.ToString(), before, Snapshot(rule));
        await db.SaveChangesAsync(cancellationToken);
        return rule;
    }

    public async Task DeleteAsync(int id, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rule = await db.Set<EmailRule>().SingleOrDefaultAsync(r => r.Id == id, cancellationToken) ?? throw new KeyNotFoundException($"Email rule {id} does not exist.");
        db.Remove(rule);
        db.Audit(time, actor, "EmailRule.Deleted", "EmailRule", id.ToString(), Snapshot(rule), null);
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task ReorderAsync(IReadOnlyList<int> orderedIds, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rules = await db.Set<EmailRule>().ToListAsync(cancellationToken);
        var before = rules.OrderBy(r => r.Order).Select(r => r.Name).ToList();
        for (var i = 0; i < orderedIds.Count; i++)
        {
            if (rules.FirstOrDefault(r => r.Id == orderedIds[i]) is { } rule)
            {
                rule.Order = (i + 1) * 10;
            }
        }

        db.Audit(time, actor, "EmailRule.Reordered", "EmailRule", null, before, rules.OrderBy(r => r.Order).Select(r => r.Name).ToList());
        await db.SaveChangesAsync(cancellationToken);
    }

    private static void Validate(EmailRuleInput input)
    {
        if (string.IsNullOrWhiteSpace(input.Name))
        {
            throw new ArgumentException("Give the rule a name; the inbound log shows it for every email the rule catches.", "name");
        }

        if (input.Conditions.Count == 0)
        {
            throw new ArgumentException("Add at least one condition; a rule without conditions would catch every email.", "conditions");
        }

        foreach (var c in input.Conditions)
        {
            if (string.IsNullOrWhiteSpace(c.Value))
            {
                throw new ArgumentException($"The '{c.Field}' condition needs a value.", "conditions");
            }

            if (c.Field == RuleField.HeaderEquals && string.IsNullOrWhiteSpace(c.HeaderName))
            {
                throw new ArgumentException("A 'header equals' condition needs the header's name, e.g. X-Spam-Flag.", "conditions");
            }

            if (c.Field == RuleField.HasAttachments && !bool.TryParse(c.Value, out _))
            {
                throw new ArgumentException("'Has attachments' takes true or false.", "conditions");
            }

            if (c.Field == RuleField.SubjectMatches)
            {
                try
                {
                    _ = new Regex(c.Value, RegexOptions.None, TimeSpan.FromMilliseconds(100));
                }
                catch (ArgumentException ex)
                {
                    throw new ArgumentException($"The subject pattern is not a valid regular expression: {ex.Message}", "conditions");
                }
            }
        }

        if (input.Action != RuleAction.CreateTicket && (input.Priority is not null || !string.IsNullOrWhiteSpace(input.Category)))
        {
            throw new ArgumentException("Priority and category apply only to the 'create the ticket' action.", "action");
        }
    }

    private static void Apply(EmailRule rule, EmailRuleInput input)
    {
        rule.Name = input.Name.Trim();
        rule.Enabled = input.Enabled;
        rule.MailboxId = input.MailboxId;
        rule.Conditions = input.Conditions.Select(c => c with { Value = c.Value.Trim(), HeaderName = c.HeaderName?.Trim() }).ToList();
        rule.Action = input.Action;
        rule.Priority = input.Priority;
        rule.Category = string.IsNullOrWhiteSpace(input.Category) ? null : input.Category.Trim();
    }

    private static object Snapshot(EmailRule r) => new { r.Name, r.Enabled, r.MailboxId, r.Conditions, r.Action, r.Priority, r.Category, r.Order };
}
