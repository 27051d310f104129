using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Security;

/// <summary>API keys given in configuration are at least 32 characters; the portal's own keys already are.</summary>
public sealed class ConfiguredApiKeyTests
{
    [Fact]
    public void A_short_configured_key_is_refused_by_its_setting_name_without_showing_the_key()
    {
        var shortKey = new string('k', 31);
        var result = PublicBaseUrlTests.Validate("Testing", new PortalOptions { ApiKeys = [new string('a', 32), shortKey] });

        Assert.True(result.Failed);
        Assert.Contains("Portal:ApiKeys:1 is 31 characters long; use at least 32", result.FailureMessage);
        Assert.DoesNotContain("Portal:ApiKeys:0", result.FailureMessage);
        Assert.DoesNotContain(shortKey, result.FailureMessage);
    }

    [Fact]
    public void A_portal_with_a_short_configured_key_does_not_start()
    {
        using var app = new PortalAppFactory();
        app.Settings["Portal:ApiKeys:0"] = "short-key";

        var error = Assert.ThrowsAny<Exception>(() => app.Services);

        Assert.Contains("Portal:ApiKeys:0 is 9 characters long", error.ToString());
    }

    [Fact]
    public async Task Keys_created_in_the_portal_are_long_enough()
    {
        using var database = TestDatabase.Create();
        await using var services = await TestEngine.StartAsync(database);

        var created = await services.GetRequiredService<IApiKeys>().CreateAsync("script", PortalRoles.Agent, Actor.System);

        Assert.True(created.Key.Length >= PortalOptionsValidation.MinimumApiKeyLength, $"{created.Key.Length} characters");
    }
}
