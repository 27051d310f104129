using HaloPortal.Engine.Parsing;

namespace HaloPortal.Tests.Parsing;

public sealed class PortalMessageIdTests
{
    [Fact]
    public void Created_id_round_trips_with_and_without_brackets()
    {
        var id = PortalMessageId.Create("prod-7f3a");

        Assert.Matches("^<hp\\.prod-7f3a\\.[0-9a-f]{32}@haloportal\\.mail>$", id);
        Assert.True(PortalMessageId.TryGetDeploymentId(id, out var withBrackets));
        Assert.True(PortalMessageId.TryGetDeploymentId(id[1..^1], out var without));
        Assert.Equal("prod-7f3a", withBrackets);
        Assert.Equal("prod-7f3a", without);
    }

    [Fact]
    public void Each_created_id_is_unique()
    {
        Assert.NotEqual(PortalMessageId.Create("a"), PortalMessageId.Create("a"));
    }

    [Fact]
    public void Deployment_id_with_dots_round_trips()
    {
        Assert.True(PortalMessageId.TryGetDeploymentId(PortalMessageId.Create("eu.prod"), out var deployment));
        Assert.Equal("eu.prod", deployment);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("<CAF=abc@mail.gmail.com>")]
    [InlineData("hp.prod.notHex0123456789abcdef0123456789@haloportal.mail")]
    [InlineData("hp..0123456789abcdef0123456789abcdef@haloportal.mail")]
    [InlineData("hp.prod.0123456789abcdef0123456789abcdef")]
    public void Other_ids_carry_no_deployment(string? messageId)
    {
        Assert.False(PortalMessageId.TryGetDeploymentId(messageId, out var deployment));
        Assert.Equal("", deployment);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("a@b")]
    [InlineData(".leading")]
    public void Unusable_deployment_ids_are_refused(string deploymentId)
    {
        Assert.ThrowsAny<ArgumentException>(() => PortalMessageId.Create(deploymentId));
    }
}
