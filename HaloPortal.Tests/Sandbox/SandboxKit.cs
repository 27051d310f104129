using System.Net;
using System.Text.RegularExpressions;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Graph;
using Microsoft.Identity.Client;
using Microsoft.Kiota.Abstractions.Authentication;

namespace HaloPortal.Tests.Sandbox;

/// <summary>A tenant set up for one test: an app with a secret, a licensed user and a shared mailbox the user is delegate of.</summary>
internal sealed record SandboxTenant(
    Guid TenantId,
    string Domain,
    Guid AppId,
    string Secret,
    Guid SecretId,
    string User,
    string Password,
    string Shared,
    string RedirectUri)
{
    public string Authority => SandboxHosts.Authority(TenantId.ToString());
}

/// <summary>Builds sandbox tenants and real MSAL / Graph SDK clients that reach the sandbox through the connector.</summary>
internal static partial class SandboxKit
{
    public const string Password = "Correct-Horse-9";

    public static ISandboxControl Control(this PortalAppFactory app) => app.Services.GetRequiredService<ISandboxControl>();

    public static ISandboxConnector Connector(this PortalAppFactory app) => app.Services.GetRequiredService<ISandboxConnector>();

    /// <summary>A fresh tenant with unique names, so tests sharing a portal do not see each other's data.</summary>
    public static async Task<SandboxTenant> CreateTenantAsync(
        this PortalAppFactory app,
        IReadOnlyList<string>? applicationPermissions = null,
        IReadOnlyList<string>? delegatedPermissions = null,
        bool adminConsent = true)
    {
        var control = app.Control();
        var domain = $"t{Guid.NewGuid():N}"[..12] + ".sandbox";
        var tenant = await control.CreateTenantAsync("Test " + domain, domain);
        var key = tenant.TenantId.ToString();
        var user = await control.CreateUserAsync(key, new SandboxNewUser($"alex@{domain}", "Alex Wilber", Password));
        var shared = await control.CreateUserAsync(key, new SandboxNewUser($"support@{domain}", "Support", null, SandboxMailboxType.Shared, [user.UserPrincipalName]));
        const string redirect = "http://localhost/authcallback";
        var application = await control.CreateApplicationAsync(key, new SandboxNewApplication(
            "Test app",
            [redirect],
            applicationPermissions ?? ["Mail.ReadWrite", "Mail.Send", "Contacts.Read", "User.Read.All"],
            delegatedPermissions ?? ["User.Read", "Mail.ReadWrite", "Mail.Send", "Mail.ReadWrite.Shared", "Mail.Send.Shared", "Contacts.Read"],
            adminConsent));
        var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var secret = await control.AddSecretAsync(key, application.AppId, "test", now.AddDays(730));
        return new SandboxTenant(tenant.TenantId, domain, application.AppId, secret.SecretValue, secret.SecretId, user.UserPrincipalName, Password,
            shared.UserPrincipalName, redirect);
    }

    public static IConfidentialClientApplication Msal(this PortalAppFactory app, SandboxTenant tenant, string? secret = null, Guid? appId = null, string? redirectUri = null) =>
        ConfidentialClientApplicationBuilder.Create((appId ?? tenant.AppId).ToString())
            .WithAuthority(tenant.Authority)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(app.Connector().MsalHttpClientFactory)
            .WithClientSecret(secret ?? tenant.Secret)
            .WithRedirectUri(redirectUri ?? tenant.RedirectUri)
            .Build();

    public static async Task<string> AppTokenAsync(this PortalAppFactory app, SandboxTenant tenant) =>
        (await app.Msal(tenant).AcquireTokenForClient([SandboxHosts.GraphDefaultScope]).ExecuteAsync()).AccessToken;

    /// <summary>The Graph SDK as the engine builds it: the sandbox base URL, the connector's handler, a token provider whose allowed hosts include the sandbox.</summary>
    public static GraphServiceClient Graph(this PortalAppFactory app, Func<CancellationToken, Task<string>> token) =>
        new(new HttpClient(app.Connector().CreateHandler()), new BaseBearerTokenAuthenticationProvider(new TokenProvider(token)), SandboxHosts.GraphBaseUrl);

    public static GraphServiceClient AppGraph(this PortalAppFactory app, SandboxTenant tenant)
    {
        var msal = app.Msal(tenant);
        return app.Graph(async ct => (await msal.AcquireTokenForClient([SandboxHosts.GraphDefaultScope]).ExecuteAsync(ct)).AccessToken);
    }

    /// <summary>Raw HTTP to the virtual hosts through the connector (for shapes the SDK hides).</summary>
    public static HttpClient RawClient(this PortalAppFactory app) => new(app.Connector().CreateHandler());

    /// <summary>Drives the sign-in and consent pages like a browser and returns the authorization code from the redirect.</summary>
    public static async Task<string> SignInAsync(this PortalAppFactory app, Uri authorizeUrl, string username, string password, bool acceptConsent = true)
    {
        var final = await app.BrowseAuthorizeAsync(authorizeUrl, username, password, acceptConsent);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(final.Query);
        return query.TryGetValue("code", out var code) ? code.ToString() : throw new InvalidOperationException("No code in the redirect: " + final);
    }

    /// <summary>Follows authorize → sign-in → (consent) and returns the redirect URI the sandbox sends the browser to.</summary>
    public static async Task<Uri> BrowseAuthorizeAsync(this PortalAppFactory app, Uri authorizeUrl, string username, string password, bool acceptConsent = true)
    {
        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var url = app.Connector().ToBrowserUrl(authorizeUrl);
        var page = await browser.GetAsync(url);
        if (page.StatusCode == HttpStatusCode.Redirect)
        {
            return page.Headers.Location!;
        }

        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.IsSuccessStatusCode, html);
        var response = await PostFormAsync(browser, url, html, new() { ["username"] = username, ["password"] = password });
        if (response.StatusCode == HttpStatusCode.OK)
        {
            html = await response.Content.ReadAsStringAsync();
            Assert.Contains("Permissions requested", html);
            response = await PostFormAsync(browser, url, html, new() { ["decision"] = acceptConsent ? "accept" : "cancel" });
        }

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!;
    }

    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient browser, Uri page, string html, Dictionary<string, string> fields)
    {
        var action = WebUtility.HtmlDecode(ActionAttribute().Match(html).Groups[1].Value);
        var request = WebUtility.HtmlDecode(RequestInput().Match(html).Groups[1].Value);
        fields["request"] = request;
        return await browser.PostAsync(new Uri(page, action), new FormUrlEncodedContent(fields));
    }

    /// <summary>A delegated token for a user through the full authorization-code flow with PKCE.</summary>
    public static async Task<AuthenticationResult> DelegatedTokenAsync(this PortalAppFactory app, SandboxTenant tenant, string[] scopes, string? user = null)
    {
        var msal = app.Msal(tenant);
        var url = await msal.GetAuthorizationRequestUrl(scopes).WithPkce(out var verifier).ExecuteAsync();
        var code = await app.SignInAsync(url, user ?? tenant.User, tenant.Password);
        return await msal.AcquireTokenByAuthorizationCode(scopes, code).WithPkceCodeVerifier(verifier).ExecuteAsync();
    }

    public static string Mime(string from, string to, string subject, string body = "Hello from the test.", string? messageId = null, string? extraHeaders = null) =>
        $"From: Sender <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nDate: {DateTimeOffset.UtcNow:r}\r\n" +
        $"Message-ID: <{messageId ?? Guid.NewGuid().ToString("N") + "@external.test"}>\r\nMIME-Version: 1.0\r\n{extraHeaders}" +
        $"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n";

    public static async Task<SandboxDeliveredMessage> DeliverAsync(this PortalAppFactory app, string mailbox, string mime, string? folder = null) =>
        await app.Control().DeliverMimeAsync(mailbox, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(mime)), folder);

    /// <summary>Waits for a condition with a deadline (no fixed sleeps).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Timed out waiting: " + because);
            }

            await Task.Delay(20);
        }
    }

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]*)\"")]
    private static partial Regex ActionAttribute();

    [GeneratedRegex("name=\"request\" value=\"([^\"]*)\"")]
    private static partial Regex RequestInput();

    private sealed class TokenProvider(Func<CancellationToken, Task<string>> token) : IAccessTokenProvider
    {
        public AllowedHostsValidator AllowedHostsValidator { get; } = new([SandboxHosts.GraphHost]);

        public async Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
            AllowedHostsValidator.IsUrlHostValid(uri) ? await token(cancellationToken) : "";
    }
}
