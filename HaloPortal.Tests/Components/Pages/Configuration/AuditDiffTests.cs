using HaloPortal.Components.Pages.Configuration.Advanced;

namespace HaloPortal.Tests.Components.Pages.Configuration;

public sealed class AuditDiffTests
{
    [Fact]
    public void Marks_changed_added_and_removed_members_on_each_side()
    {
        var (before, after) = AuditDiff.Compare(
            """{"displayName":"Ada","roles":["Agent"],"disabled":false,"old":1}""",
            """{"displayName":"Ada","roles":["Agent","Support"],"disabled":true,"new":2}""");

        Assert.Equal([("displayName", false), ("roles", true), ("disabled", true), ("old", true)], before.Select(l => (l.Key, l.Changed)));
        Assert.Equal([("displayName", false), ("roles", true), ("disabled", true), ("new", true)], after.Select(l => (l.Key, l.Changed)));
        Assert.Equal("\"roles\": [\n    \"Agent\",\n    \"Support\"\n  ]", after[1].Text);
    }

    [Fact]
    public void A_created_item_has_no_before()
    {
        var (before, after) = AuditDiff.Compare(null, """{"name":"key"}""");

        Assert.Empty(before);
        Assert.True(Assert.Single(after).Changed);
    }
}
