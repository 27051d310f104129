using System.Net;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;
using HaloPortal.Hosting;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace HaloPortal.Tests.Hosting;

/// <summary>
/// The portal with an <c>AzureAd</c> section. Entra ID cannot be reached from tests, so the OpenID metadata document is given
/// as the real service publishes it for the tenant instead of being downloaded.
/// </summary>
public sealed class MicrosoftSignInPortalFactory : PortalAppFactory
{
    public const string TenantId = "8d6f1f2e-4c3b-4a5d-9e8f-7a6b5c4d3e2f";
    public const string ClientId = "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e";

    public MicrosoftSignInPortalFactory()
    {
        Settings["AzureAd:Instance"] = "https://login.microsoftonline.com/";
        Settings["AzureAd:TenantId"] = TenantId;
        Settings["AzureAd:ClientId"] = ClientId;
        Settings["AzureAd:ClientSecret"] = "generated-at-test-time-" + Guid.NewGuid().ToString("N");
        // Configure (not PostConfigure): runs after Microsoft.Identity.Web's own configuration and before the handler's
        // post-configuration turns a given Configuration into a static configuration manager.
        ConfigureTestServices = services => services.Configure<OpenIdConnectOptions>(AuthenticationExtensions.MicrosoftScheme, options =>
            options.Configuration = new OpenIdConnectConfiguration
            {
                Issuer = $"https://login.microsoftonline.com/{TenantId}/v2.0",
                AuthorizationEndpoint = $"https://login.microsoftonline.com/{TenantId}/oauth2/v2.0/authorize",
                TokenEndpoint = $"https://login.microsoftonline.com/{TenantId}/oauth2/v2.0/token",
                EndSessionEndpoint = $"https://login.microsoftonline.com/{TenantId}/oauth2/v2.0/logout",
            });
    }
}

public sealed class MicrosoftSignInTests(MicrosoftSignInPortalFactory app) : IClassFixture<MicrosoftSignInPortalFactory>
{
    [Fact]
    public async Task The_Microsoft_scheme_signs_into_the_external_cookie()
    {
        var options = app.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(AuthenticationExtensions.MicrosoftScheme);

        Assert.Equal(IdentityConstants.ExternalScheme, options.SignInScheme);
        Assert.Equal(MicrosoftSignInPortalFactory.ClientId, options.ClientId);
        Assert.Equal($"https://login.microsoftonline.com/{MicrosoftSignInPortalFactory.TenantId}/v2.0", options.Authority);
    }

    [Fact]
    public async Task Login_page_offers_Microsoft_and_the_button_challenges_Entra_ID()
    {
        await EnsureSomeoneExistsAsync();
        using var client = app.CreateBrowserClient(new CookieContainer());
        var html = await (await client.GetAsync("/account/login?returnUrl=%2Fconfiguration%2Fteams%2Fagents")).Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"sign-in-microsoft\"", html);

        var form = new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = BrowserSignIn.AntiforgeryToken(html[html.IndexOf("action=\"/account/microsoft\"", StringComparison.Ordinal)..]),
            ["returnUrl"] = "/configuration/teams/agents",
        };
        using var challenge = await client.PostAsync("/account/microsoft", new FormUrlEncodedContent(form));

        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var location = challenge.Headers.Location!;
        Assert.Equal($"https://login.microsoftonline.com/{MicrosoftSignInPortalFactory.TenantId}/oauth2/v2.0/authorize", location.GetLeftPart(UriPartial.Path));
        Assert.Contains($"client_id={MicrosoftSignInPortalFactory.ClientId}", location.Query);
        Assert.Contains(Uri.EscapeDataString(new Uri(app.BaseAddress, "/signin-oidc").ToString()), location.Query);
    }

    [Fact]
    public async Task Without_the_antiforgery_token_there_is_no_challenge()
    {
        using var client = app.CreateBrowserClient(new CookieContainer());

        using var response = await client.PostAsync("/account/microsoft", new FormUrlEncodedContent(new Dictionary<string, string> { ["returnUrl"] = "/" }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login?error=form-expired", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Completing_without_a_Microsoft_sign_in_returns_to_the_login_page_with_the_reason()
    {
        await EnsureSomeoneExistsAsync();
        using var client = app.CreateBrowserClient(new CookieContainer());

        using var response = await client.GetAsync("/account/microsoft/complete?returnUrl=%2F");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login?error=microsoft-failed", response.Headers.Location?.OriginalString);
        var html = await (await client.GetAsync("/account/login?error=microsoft-failed")).Content.ReadAsStringAsync();
        Assert.Equal(SignInErrors.Message(SignInErrors.MicrosoftFailed), BrowserSignIn.LoginError(html));
    }

    private async Task EnsureSomeoneExistsAsync()
    {
        var agents = app.Services.GetRequiredService<IAgents>();
        if ((await agents.ListAsync(new AgentQuery())).Total == 0)
        {
            try
            {
                await agents.CreateAsync(new NewAgent("Someone", "someone@example.com", "someone1password", [PortalRoles.Agent]), Actor.System);
            }
            catch (ArgumentException)
            {
                // Another test created it first.
            }
        }
    }
}
