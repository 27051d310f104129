using HaloPortal.Engine.Accounts;

namespace HaloPortal.Tests.Accounts;

public sealed class ExternalRoleMapperTests
{
    [Theory]
    [InlineData(new[] { "Administrator" }, new[] { "Administrator" })]
    [InlineData(new[] { "agent", "SUPPORT" }, new[] { "Agent", "Support" })]
    [InlineData(new[] { "HaloPortal.Administrator" }, new[] { "Administrator" })]
    [InlineData(new[] { "haloportal.support", " Agent " }, new[] { "Agent", "Support" })]
    [InlineData(new[] { "Support", "Administrator", "support" }, new[] { "Administrator", "Support" })]
    [InlineData(new[] { "Reader", "Other.Administrator", "HaloPortal.", "" }, new string[0])]
    [InlineData(new string[0], new string[0])]
    public void Maps_app_role_values_to_portal_roles(string[] claims, string[] expected)
    {
        Assert.Equal(expected, ExternalRoleMapper.Map(claims));
    }
}
