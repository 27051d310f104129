using Bunit;
using HaloPortal.Components.Pages.Configuration.Email.Components;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;

namespace HaloPortal.Tests.Components.Email;

/// <summary>Issue 14 item 8: a step the test skipped proved nothing, so it is never shown as a green tick.</summary>
public sealed class ConnectionTestResultViewTests
{
    [Fact]
    public async Task Done_skipped_and_failed_steps_each_get_their_own_mark()
    {
        await using var ctx = new EmailTestContext();
        var result = new ConnectionTestResult(false, null, null, null, null,
        [
            "Got an access token from Sandbox.",
            "Skipped looking up the mailbox owner (the app has no directory permission, which is not required).",
            "Failed: Access to the mailbox denied.",
        ]);

        var view = ctx.RenderWithProviders<ConnectionTestResultView>(p => p.Add(v => v.Result, result));

        var outcomes = view.FindAll("[data-testid=test-step]").Select(s => s.GetAttribute("data-outcome")).ToList();
        Assert.Equal(["done", "skipped", "failed"], outcomes);
        Assert.DoesNotContain("mud-success-text", view.FindAll("[data-testid=test-step]")[1].InnerHtml);
    }
}
