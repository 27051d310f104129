using System.Net;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Hosting;

public sealed class FirstRunTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    [Fact]
    public async Task Without_accounts_sign_in_leads_to_setup_and_after_setup_setup_leads_to_sign_in()
    {
        using var client = app.CreateBrowserClient(new CookieContainer());

        using var login = await client.GetAsync("/account/login");
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/account/setup", login.Headers.Location?.PathAndQuery);

        using var setupPage = await client.GetAsync("/account/setup");
        Assert.Equal(HttpStatusCode.OK, setupPage.StatusCode);
        var form = new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = BrowserSignIn.AntiforgeryToken(await setupPage.Content.ReadAsStringAsync()),
            ["_handler"] = "setup",
            ["Input.DisplayName"] = "First Admin",
            ["Input.Email"] = "first@example.com",
            ["Input.Password"] = "first1admin2pass",
            ["Input.Confirm"] = "first1admin2pass",
        };
        using var created = await client.PostAsync("/account/setup", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/configuration/advanced/backend-services")).StatusCode);

        using var anonymous = app.CreateBrowserClient(new CookieContainer());
        using var setupAgain = await anonymous.GetAsync("/account/setup");
        Assert.Equal(HttpStatusCode.Redirect, setupAgain.StatusCode);
        Assert.Equal("/account/login", setupAgain.Headers.Location?.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/account/login")).StatusCode);

        var admin = Assert.Single((await app.Services.GetRequiredService<IAgents>().ListAsync(new AgentQuery())).Items);
        Assert.Equal(("First Admin", "first@example.com"), (admin.DisplayName, admin.Email));
        Assert.Equal([PortalRoles.Administrator], admin.Roles);
    }
}
