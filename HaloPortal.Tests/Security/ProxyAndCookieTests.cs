using System.Net;
using HaloPortal.Engine.Portal;
using HaloPortal.Hosting;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace HaloPortal.Tests.Security;

/// <summary>The portal behind a TLS proxy trusted by configuration.</summary>
public sealed class TrustedProxyPortalFactory : PortalAppFactory
{
    public const string PublicHost = "helpdesk.example.test";

    public TrustedProxyPortalFactory()
    {
        Settings["Portal:PublicBaseUrl"] = $"https://{PublicHost}";
        Settings["Portal:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
    }
}

public sealed class ForwardedHeadersTests(PortalAppFactory plain, TrustedProxyPortalFactory proxied) : IClassFixture<PortalAppFactory>, IClassFixture<TrustedProxyPortalFactory>
{
    [Fact]
    public async Task Without_known_proxies_forwarded_headers_are_ignored()
    {
        using var response = await ChallengeAsync(plain, "evil.example.test");

        Assert.Equal($"http://{plain.BaseAddress.Authority}/account/login", response.Headers.Location!.GetLeftPart(UriPartial.Path));
    }

    [Fact]
    public async Task From_a_known_proxy_the_forwarded_scheme_and_the_public_host_are_used()
    {
        using var response = await ChallengeAsync(proxied, TrustedProxyPortalFactory.PublicHost);

        Assert.Equal($"https://{TrustedProxyPortalFactory.PublicHost}/account/login", response.Headers.Location!.GetLeftPart(UriPartial.Path));
    }

    [Fact]
    public async Task Even_a_known_proxy_cannot_forward_a_host_other_than_the_public_one()
    {
        using var response = await ChallengeAsync(proxied, "evil.example.test");

        Assert.DoesNotContain("evil.example.test", response.Headers.Location!.ToString());
    }

    /// <summary>An anonymous request for a page: the cookie handler's redirect to sign in is built from the request's scheme and host.</summary>
    private static async Task<HttpResponseMessage> ChallengeAsync(PortalAppFactory app, string forwardedHost)
    {
        using var client = app.CreateBrowserClient(new CookieContainer());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/tickets");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", forwardedHost);
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response;
    }
}

public sealed class SecureCookieTests(ProductionPortalFactory production, PortalAppFactory testing) : IClassFixture<ProductionPortalFactory>, IClassFixture<PortalAppFactory>
{
    [Fact]
    public async Task In_Production_the_sign_in_and_antiforgery_cookies_are_always_Secure()
    {
        using var client = production.CreateSecureCookieClient();
        using var page = await client.GetAsync("/account/setup");

        Assert.Contains("secure", SecurityKit.SetCookie(page, ".AspNetCore.Antiforgery")!, StringComparison.OrdinalIgnoreCase);
        var cookies = production.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>();
        Assert.Equal(CookieSecurePolicy.Always, cookies.Get(IdentityConstants.ApplicationScheme).Cookie.SecurePolicy);
        Assert.Equal(CookieSecurePolicy.Always, cookies.Get(IdentityConstants.ExternalScheme).Cookie.SecurePolicy);
        Assert.Equal(CookieSecurePolicy.Always, production.Services.GetRequiredService<IOptions<AntiforgeryOptions>>().Value.Cookie.SecurePolicy);
    }

    [Fact]
    public void Only_development_and_the_test_hosts_follow_the_request()
    {
        Assert.Equal(CookieSecurePolicy.SameAsRequest, AuthenticationExtensions.CookieSecurity(new HostingEnvironment { EnvironmentName = "Development" }));
        Assert.Equal(CookieSecurePolicy.SameAsRequest, AuthenticationExtensions.CookieSecurity(new HostingEnvironment { EnvironmentName = "Testing" }));
        Assert.Equal(CookieSecurePolicy.Always, AuthenticationExtensions.CookieSecurity(new HostingEnvironment { EnvironmentName = "Staging" }));
        Assert.Equal(CookieSecurePolicy.SameAsRequest,
            testing.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(IdentityConstants.ApplicationScheme).Cookie.SecurePolicy);
    }
}

public sealed class PublicBaseUrlTests
{
    [Theory]
    [InlineData(null, "Portal:PublicBaseUrl is required in Production")]
    [InlineData("http://helpdesk.example.com", "Portal:PublicBaseUrl ('http://helpdesk.example.com') must be an absolute https URL")]
    [InlineData("helpdesk.example.com", "must be an absolute https URL")]
    public void Production_refuses_a_missing_or_plain_http_public_address(string? url, string message)
    {
        var result = Validate("Production", new PortalOptions { PublicBaseUrl = url });

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage);
    }

    [Theory]
    [InlineData("Production", "https://helpdesk.example.com")]
    [InlineData("Production", "http://localhost:5080")]
    [InlineData("Development", null)]
    [InlineData("Testing", "http://127.0.0.1:5080")]
    public void Accepted_public_addresses(string environment, string? url) =>
        Assert.True(Validate(environment, new PortalOptions { PublicBaseUrl = url }).Succeeded);

    [Fact]
    public void A_portal_in_Production_without_a_public_address_does_not_start_and_names_the_setting()
    {
        using var app = new ProductionPortalFactory();
        app.Settings["Portal:PublicBaseUrl"] = "";

        var error = Assert.ThrowsAny<Exception>(() => app.Services);

        Assert.Contains("Portal:PublicBaseUrl is required in Production", error.ToString());
    }

    [Fact]
    public void Proxy_settings_that_do_not_parse_are_refused_by_name()
    {
        var options = new PortalOptions { ForwardedHeaders = { KnownProxies = ["10.0.0.5", "proxy.local"], KnownNetworks = ["10.0.0.0/24", "10.0.0.0"] } };

        var result = Validate("Testing", options);

        Assert.Contains("Portal:ForwardedHeaders:KnownProxies:1", result.FailureMessage);
        Assert.Contains("Portal:ForwardedHeaders:KnownNetworks:1", result.FailureMessage);
        Assert.DoesNotContain("KnownProxies:0", result.FailureMessage);
    }

    [Fact]
    public void The_OAuth_redirect_uri_is_built_from_the_public_address_not_the_request_host()
    {
        var request = new DefaultHttpContext().Request;
        request.Scheme = "http";
        request.Host = new HostString("evil.example.test");

        Assert.Equal("https://helpdesk.example.com/authcallback",
            AuthCallbackEndpoints.RedirectUri(new PortalOptions { PublicBaseUrl = "https://helpdesk.example.com/" }, request));
    }

    internal static Microsoft.Extensions.Options.ValidateOptionsResult Validate(string environment, PortalOptions options) =>
        new PortalOptionsValidation(new HostingEnvironment { EnvironmentName = environment }).Validate(null, options);
}
