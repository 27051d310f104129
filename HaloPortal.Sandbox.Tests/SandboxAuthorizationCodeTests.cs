using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Identity.Client;
using Microsoft.IdentityModel.JsonWebTokens;

namespace HaloPortal.Sandbox.Tests;

/// <summary>Authorization code with PKCE: the sign-in and consent pages, MSAL's redemption, refresh rotation and revocation.</summary>
public sealed class SandboxAuthorizationCodeTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private static readonly string[] MailScopes = ["https://graph.microsoft.com/Mail.ReadWrite", "https://graph.microsoft.com/Mail.Send"];

    [Fact]
    public async Task Sign_in_with_PKCE_gives_a_delegated_token_with_scopes_and_the_account()
    {
        var tenant = await app.CreateTenantAsync();

        var result = await app.DelegatedTokenAsync(tenant, MailScopes);

        var jwt = new JsonWebToken(result.AccessToken);
        Assert.Equal("https://graph.microsoft.com", jwt.Audiences.Single());
        Assert.Equal(tenant.User, jwt.GetClaim("upn").Value);
        Assert.Equal(tenant.User, jwt.GetClaim("preferred_username").Value);
        Assert.Equal("Mail.ReadWrite Mail.Send", jwt.GetClaim("scp").Value);
        Assert.Equal(tenant.AppId.ToString(), jwt.GetClaim("azp").Value);
        Assert.Equal(tenant.User, result.Account.Username);
        Assert.Equal(tenant.TenantId.ToString(), result.TenantId);
    }

    [Fact]
    public async Task Msal_refreshes_silently_with_the_refresh_token_it_was_given()
    {
        var tenant = await app.CreateTenantAsync();
        var msal = app.Msal(tenant);
        var url = await msal.GetAuthorizationRequestUrl(MailScopes).WithPkce(out var verifier).ExecuteAsync();
        var code = await app.SignInAsync(url, tenant.User, tenant.Password);
        var first = await msal.AcquireTokenByAuthorizationCode(MailScopes, code).WithPkceCodeVerifier(verifier).ExecuteAsync();

        var refreshed = await msal.AcquireTokenSilent(MailScopes, first.Account).WithForceRefresh(true).ExecuteAsync();

        Assert.NotEqual(first.AccessToken, refreshed.AccessToken);
        Assert.Equal(TokenSource.IdentityProvider, refreshed.AuthenticationResultMetadata.TokenSource);
    }

    [Fact]
    public async Task Authorize_without_PKCE_redirects_with_AADSTS9002325()
    {
        var tenant = await app.CreateTenantAsync();
        var url = await app.Msal(tenant).GetAuthorizationRequestUrl(MailScopes).ExecuteAsync();

        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var response = await browser.GetAsync(app.Connector().ToBrowserUrl(url));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.StartsWith(tenant.RedirectUri, response.Headers.Location.ToString());
        Assert.Equal("invalid_request", query["error"]);
        Assert.StartsWith("AADSTS9002325: Proof Key for Code Exchange is required", query["error_description"].ToString());
    }

    [Fact]
    public async Task Redeeming_without_the_code_verifier_is_AADSTS9002325()
    {
        var tenant = await app.CreateTenantAsync();
        var msal = app.Msal(tenant);
        var url = await msal.GetAuthorizationRequestUrl(MailScopes).WithPkce(out _).ExecuteAsync();
        var code = await app.SignInAsync(url, tenant.User, tenant.Password);

        var ex = await Assert.ThrowsAsync<MsalServiceException>(() => msal.AcquireTokenByAuthorizationCode(MailScopes, code).ExecuteAsync());

        Assert.Contains("AADSTS9002325", ex.Message);
    }

    [Fact]
    public async Task Unregistered_redirect_uri_shows_AADSTS50011_and_does_not_redirect()
    {
        var tenant = await app.CreateTenantAsync();
        var url = await app.Msal(tenant, redirectUri: "https://evil.example/callback").GetAuthorizationRequestUrl(MailScopes).WithPkce(out _).ExecuteAsync();

        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var response = await browser.GetAsync(app.Connector().ToBrowserUrl(url));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("AADSTS50011: The redirect URI 'https://evil.example/callback' specified in the request does not match the redirect URIs configured", html);
    }

    [Fact]
    public async Task Wrong_password_is_refused_on_the_sign_in_page()
    {
        var tenant = await app.CreateTenantAsync();
        var url = app.Connector().ToBrowserUrl(await app.Msal(tenant).GetAuthorizationRequestUrl(MailScopes).WithPkce(out _).ExecuteAsync());
        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var page = await (await browser.GetAsync(url)).Content.ReadAsStringAsync();

        var response = await SandboxKit.PostFormAsync(browser, url, page, new() { ["username"] = tenant.User, ["password"] = "wrong" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("AADSTS50126", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_admin_consent_the_user_consents_once_and_declining_is_access_denied()
    {
        var tenant = await app.CreateTenantAsync(adminConsent: false);
        var msal = app.Msal(tenant);

        var declined = await app.BrowseAuthorizeAsync(await msal.GetAuthorizationRequestUrl(MailScopes).WithPkce(out _).ExecuteAsync(), tenant.User, tenant.Password, acceptConsent: false);
        Assert.Equal("access_denied", QueryHelpers.ParseQuery(declined.Query)["error"]);
        Assert.StartsWith("AADSTS65004", QueryHelpers.ParseQuery(declined.Query)["error_description"].ToString());

        var accepted = await app.DelegatedTokenAsync(tenant, MailScopes);
        Assert.Equal("Mail.ReadWrite Mail.Send", new JsonWebToken(accepted.AccessToken).GetClaim("scp").Value);

        // Consent is remembered: the second sign-in goes straight back to the app.
        var again = await app.BrowseAuthorizeAsync(await msal.GetAuthorizationRequestUrl(MailScopes).WithPkce(out _).ExecuteAsync(), tenant.User, tenant.Password);
        Assert.True(QueryHelpers.ParseQuery(again.Query).ContainsKey("code"));
    }

    [Fact]
    public async Task Refresh_token_rotates_and_a_scope_without_consent_is_AADSTS65001()
    {
        var tenant = await app.CreateTenantAsync(adminConsent: false);
        var first = await RedeemRawAsync(tenant);
        using var http = app.RawClient();

        var second = await RefreshAsync(http, tenant, first.GetProperty("refresh_token").GetString()!);
        var secondBody = JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.NotEqual(first.GetProperty("refresh_token").GetString(), secondBody.GetProperty("refresh_token").GetString());
        var third = await RefreshAsync(http, tenant, secondBody.GetProperty("refresh_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);

        var unconsented = await RefreshAsync(http, tenant, secondBody.GetProperty("refresh_token").GetString()!, "https://graph.microsoft.com/Contacts.Read offline_access");
        Assert.Equal(HttpStatusCode.BadRequest, unconsented.StatusCode);
        var error = JsonDocument.Parse(await unconsented.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("invalid_grant", error.GetProperty("error").GetString());
        Assert.StartsWith($"AADSTS65001: The user or administrator has not consented to use the application with ID '{tenant.AppId}'", error.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task Revoked_grants_make_refresh_fail_with_invalid_grant()
    {
        var tenant = await app.CreateTenantAsync();
        var first = await RedeemRawAsync(tenant);
        using var api = app.CreateApiClient();
        var fault = await api.PostAsJsonAsync("/sandbox/api/faults", new { mailbox = tenant.User, kind = "RevokeGrants" });
        Assert.Equal(HttpStatusCode.Created, fault.StatusCode);

        using var http = app.RawClient();
        var response = await RefreshAsync(http, tenant, first.GetProperty("refresh_token").GetString()!);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("invalid_grant", error.GetProperty("error").GetString());
        Assert.StartsWith("AADSTS50173: The provided grant has expired due to it being revoked", error.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task A_code_is_redeemed_once()
    {
        var tenant = await app.CreateTenantAsync();
        var msal = app.Msal(tenant);
        var url = await msal.GetAuthorizationRequestUrl(MailScopes).WithPkce(out var verifier).ExecuteAsync();
        var code = await app.SignInAsync(url, tenant.User, tenant.Password);
        await msal.AcquireTokenByAuthorizationCode(MailScopes, code).WithPkceCodeVerifier(verifier).ExecuteAsync();

        var ex = await Assert.ThrowsAnyAsync<MsalServiceException>(() => app.Msal(tenant).AcquireTokenByAuthorizationCode(MailScopes, code).WithPkceCodeVerifier(verifier).ExecuteAsync());

        Assert.Contains("AADSTS54005", ex.Message);
    }

    /// <summary>Signs in through the pages and redeems the code over raw HTTP, to see the refresh token MSAL would keep to itself.</summary>
    internal static async Task<JsonElement> RedeemRawAsync(PortalAppFactory app, SandboxTenant tenant)
    {
        var verifier = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var challenge = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));
        var scope = "https://graph.microsoft.com/Mail.ReadWrite offline_access openid profile";
        var authorize = new Uri(QueryHelpers.AddQueryString($"{tenant.Authority}oauth2/v2.0/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = tenant.AppId.ToString(),
            ["response_type"] = "code",
            ["redirect_uri"] = tenant.RedirectUri,
            ["scope"] = scope,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = "s1",
        }));
        var code = await app.SignInAsync(authorize, tenant.User, tenant.Password);
        using var http = app.RawClient();
        var response = await http.PostAsync($"{tenant.Authority}oauth2/v2.0/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = tenant.AppId.ToString(),
            ["client_secret"] = tenant.Secret,
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = tenant.RedirectUri,
            ["code_verifier"] = verifier,
            ["scope"] = scope,
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    internal static Task<HttpResponseMessage> RefreshAsync(HttpClient http, SandboxTenant tenant, string refreshToken, string scope = "https://graph.microsoft.com/Mail.ReadWrite offline_access") =>
        http.PostAsync($"{tenant.Authority}oauth2/v2.0/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = tenant.AppId.ToString(),
            ["client_secret"] = tenant.Secret,
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["scope"] = scope,
        }));

    private Task<JsonElement> RedeemRawAsync(SandboxTenant tenant) => RedeemRawAsync(app, tenant);
}
