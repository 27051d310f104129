using System.Net;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Hosting;

/// <summary>The portal started with <c>Portal:BootstrapAdmin</c> settings.</summary>
public sealed class BootstrapAdminPortalFactory : PortalAppFactory
{
    public const string Email = "bootstrap@example.com";
    public const string Password = "bootstrap1admin";

    public BootstrapAdminPortalFactory()
    {
        Settings["Portal:BootstrapAdmin:Email"] = Email;
        Settings["Portal:BootstrapAdmin:Password"] = Password;
    }
}

public sealed class BootstrapAdminTests(BootstrapAdminPortalFactory app) : IClassFixture<BootstrapAdminPortalFactory>
{
    [Fact]
    public async Task Bootstrap_settings_create_the_administrator_at_start_up()
    {
        using var client = app.CreateBrowserClient(new CookieContainer());

        using var setup = await client.GetAsync("/account/setup");
        Assert.Equal(HttpStatusCode.Redirect, setup.StatusCode);
        await BrowserSignIn.SignInAsync(client, BootstrapAdminPortalFactory.Email, BootstrapAdminPortalFactory.Password);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/configuration/teams/agents")).StatusCode);
        var admin = Assert.Single((await app.Services.GetRequiredService<IAgents>().ListAsync(new AgentQuery())).Items);
        Assert.Equal(BootstrapAdminPortalFactory.Email, admin.Email);
        Assert.Equal([PortalRoles.Administrator], admin.Roles);
    }
}
