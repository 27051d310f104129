using Bunit;
using HaloPortal.Sandbox;

namespace HaloPortal.Tests.Components.Sandbox;

public sealed class SandboxFaultsTests : SandboxScreenTest
{
    [Fact]
    public async Task A_fault_for_one_mailbox_is_added_listed_and_cleared()
    {
        var page = await OpenAsync("faults");
        page.WaitForElement("[data-testid='faults-empty']");

        Choose(page.ByTestId("fault-kind"), "Fail requests");
        page.WaitForElement("[data-testid='fault-status']").Change("500");
        Choose(page.ByTestId("fault-mailbox"), Demo.SharedMailbox);
        page.ByTestId("fault-add").Click();

        var row = page.WaitForElement("[data-testid='fault-row']");
        Assert.Equal("FailRequests", row.GetAttribute("data-kind"));
        Assert.Equal(Demo.SharedMailbox, row.GetAttribute("data-mailbox"));
        Assert.Contains("HTTP 500", row.TextContent);
        var fault = Assert.Single(await Control.ListFaultsAsync());
        Assert.Equal(new SandboxFaultInfo(fault.Id, Demo.SharedMailbox, SandboxFaultKind.FailRequests, 500, 3, null, null), fault);

        page.ByTestId("faults-clear").Click();
        page.WaitForElement("[data-testid='faults-empty']");
        Assert.Empty(await Control.ListFaultsAsync());
    }

    [Fact]
    public async Task Throttling_is_switched_per_tenant()
    {
        var page = await OpenAsync("faults");
        page.WaitForElement("[data-testid='throttling-switch']").Change(true);
        page.WaitForAssertion(() => Assert.True(Control.ListTenantsAsync().GetAwaiter().GetResult().Single().ThrottlingEnabled));
    }
}
