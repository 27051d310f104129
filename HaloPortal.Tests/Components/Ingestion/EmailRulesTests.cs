using Bunit;
using EmailRulesPage = HaloPortal.Components.Pages.Configuration.Email.Rules.EmailRules;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Rules;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Components.Ingestion;

public sealed class EmailRulesTests
{
    [Fact]
    public async Task The_dialog_refuses_a_rule_without_conditions_with_the_reason()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var page = ctx.RenderWithProviders<EmailRulesPage>();
        page.WaitForAssertion(() => Assert.NotNull(page.ByTestId("rules-empty")));

        page.ByTestId("new-rule").Click();
        var dialogs = ctx.Dialogs;
        dialogs.WaitForAssertion(() => Assert.NotNull(dialogs.ByTestId("rule-name")));
        dialogs.ByTestId("rule-name").Change("Newsletters");
        dialogs.ByTestId("rule-save").Click();

        dialogs.WaitForAssertion(() => Assert.Contains("Add at least one condition", dialogs.ByTestId("rule-error").TextContent));
        Assert.Empty(await ctx.Services.GetRequiredService<IEmailRules>().ListAsync());
    }

    [Fact]
    public async Task A_rule_with_a_condition_is_saved_and_listed()
    {
        await using var ctx = new IngestionTestContext(PortalRoles.Administrator);
        var page = ctx.RenderWithProviders<EmailRulesPage>();
        page.WaitForAssertion(() => Assert.NotNull(page.ByTestId("rules-empty")));

        page.ByTestId("new-rule").Click();
        var dialogs = ctx.Dialogs;
        dialogs.WaitForAssertion(() => Assert.NotNull(dialogs.ByTestId("rule-name")));
        dialogs.ByTestId("rule-name").Change("Newsletters");
        dialogs.ByTestId("add-condition").Click();
        dialogs.ByTestId("condition-value-0").Change("news.example.com");
        dialogs.ByTestId("rule-save").Click();

        page.WaitForAssertion(() => Assert.Equal(["Newsletters"], page.AllByTestId("rule-name-cell").Select(c => c.TextContent.Trim()).ToArray()));
        var rule = Assert.Single(await ctx.Services.GetRequiredService<IEmailRules>().ListAsync());
        Assert.Equal([new RuleCondition(RuleField.SenderDomain, "news.example.com")], rule.Conditions);
    }
}
