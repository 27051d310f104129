using System.Net;
using System.Text;
using System.Text.Json;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tokens;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Sandbox;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using ICredentials = HaloPortal.Engine.Credentials.ICredentials;

namespace HaloPortal.Tests.Credentials;

/// <summary>A portal with a bootstrap administrator who can sign in to the browser-only endpoints (/authcallback).</summary>
public sealed class AdminPortalFactory : PortalAppFactory
{
    public const string Email = "admin@portal.test";
    public const string Password = "Admin-Pass-123!";

    public AdminPortalFactory()
    {
        Settings["Portal:BootstrapAdmin:Email"] = Email;
        Settings["Portal:BootstrapAdmin:Password"] = Password;
    }
}

/// <summary>
/// Authorisation code with PKCE through the engine (BeginAuthorisationAsync → the sandbox's sign-in pages →
/// CompleteAuthorisationAsync), the encrypted rotating token cache, revocation, locking, and shared mailboxes.
/// </summary>
public sealed class AuthorisationCodeConnectionTests(AdminPortalFactory app) : IClassFixture<AdminPortalFactory>
{
    private ICredentialConnections Connections => app.Get<ICredentialConnections>();

    private ICredentials Credentials => app.Get<ICredentials>();

    /// <summary>The administrator who starts (and so must complete) the sign-ins.</summary>
    private static readonly Actor Starter = Actor.User(AdminPortalFactory.Email);

    private string RedirectUri => new Uri(app.BaseAddress, "authcallback").ToString();

    /// <summary>A tenant whose second app is registered with the portal's redirect URI and only the documented delegated permissions.</summary>
    private async Task<(SandboxTenant Tenant, Guid AppId, string Secret)> TenantAsync()
    {
        var tenant = await app.CreateTenantAsync();
        var control = app.Control();
        var application = await control.CreateApplicationAsync(tenant.TenantId.ToString(), new SandboxNewApplication(
            "HaloPortal (authorisation code)", [RedirectUri], [], CredentialKit.DocumentedDelegatedPermissions, AdminConsent: true));
        var secret = await control.AddSecretAsync(tenant.TenantId.ToString(), application.AppId, "portal", app.Get<TimeProvider>().GetUtcNow().AddDays(365));
        return (tenant, application.AppId, secret.SecretValue);
    }

    private async Task<CredentialView> CreateAsync((SandboxTenant Tenant, Guid AppId, string Secret) setup, string? sharedMailbox = null) =>
        await app.CreateCredentialAsync(new CredentialInput
        {
            Instance = PortalInstance.Production,
            AuthMethod = AuthMethod.AuthorizationCode,
            CredentialType = CredentialType.ClientSecret,
            ProcessingMethod = ProcessingMethod.MailboxScan,
            Authority = GraphAuthority.Sandbox,
            TenantId = setup.Tenant.TenantId.ToString(),
            ClientId = setup.AppId.ToString(),
            ClientSecret = setup.Secret,
            SecretExpiresAt = DateTimeOffset.UtcNow.AddDays(180),
            SharedMailbox = sharedMailbox,
        });

    /// <summary>Begins the sign-in, drives the sandbox's pages like a browser and completes it with the redirect's state and code.</summary>
    private async Task<AuthorisationResult> SignInAsync(int credentialId, string user, string password = SandboxKit.Password)
    {
        var (state, code) = await AuthoriseInBrowserAsync(credentialId, user, password);
        return await Connections.CompleteAuthorisationAsync(state, code, null, null, Starter);
    }

    private async Task<(string State, string Code)> AuthoriseInBrowserAsync(int credentialId, string user, string password = SandboxKit.Password)
    {
        var authorize = await Connections.BeginAuthorisationAsync(credentialId, RedirectUri, "/back-here", Starter);
        Assert.Equal(app.BaseAddress.Authority, authorize.Authority);
        Assert.StartsWith("/sandbox/login/", authorize.AbsolutePath);
        var query = QueryHelpers.ParseQuery(authorize.Query);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal(RedirectUri, query["redirect_uri"]);

        var redirect = await app.BrowseAuthorizeAsync(authorize, user, password);

        Assert.StartsWith(RedirectUri + "?", redirect.ToString());
        var answer = QueryHelpers.ParseQuery(redirect.Query);
        Assert.False(answer.ContainsKey("error"), answer.TryGetValue("error_description", out var d) ? d.ToString() : null);
        return (answer["state"].ToString(), answer["code"].ToString());
    }

    private static string RefreshTokenIn(string cacheJson)
    {
        using var doc = JsonDocument.Parse(cacheJson);
        var tokens = doc.RootElement.GetProperty("RefreshToken").EnumerateObject().ToList();
        return Assert.Single(tokens).Value.GetProperty("secret").GetString()!;
    }

    private static string? RefreshTokenOrNull(string cacheJson)
    {
        using var doc = JsonDocument.Parse(cacheJson);
        return doc.RootElement.TryGetProperty("RefreshToken", out var tokens) ? tokens.EnumerateObject().Select(t => t.Value.GetProperty("secret").GetString()).FirstOrDefault() : null;
    }

    private string CacheJson(MailboxCredential credential) =>
        Encoding.UTF8.GetString(app.Get<ICredentialSecrets>().UnprotectBytes(credential.TokenCacheProtected!));

    [Fact]
    public async Task Signing_in_with_PKCE_connects_the_users_own_mailbox_and_keeps_the_grant_encrypted()
    {
        var setup = await TenantAsync();
        var credential = await CreateAsync(setup);

        var result = await SignInAsync(credential.Id, setup.Tenant.User);

        Assert.True(result.Ok, result.Error?.Message);
        Assert.Equal(credential.Id, result.CredentialId);
        Assert.Equal(credential.MailboxId, result.MailboxId);
        Assert.Equal("/back-here", result.ReturnUrl);
        var view = (await Credentials.GetAsync(credential.Id))!;
        Assert.Equal(CredentialStatus.Connected, view.Status);
        Assert.Equal(setup.Tenant.User, view.ConnectedAddress);
        Assert.True(view.Locked);

        var stored = await app.LoadAsync(credential.Id);
        Assert.NotNull(stored.HomeAccountId);
        var refreshToken = RefreshTokenIn(CacheJson(stored));
        Assert.DoesNotContain(refreshToken, stored.TokenCacheProtected);
        Assert.DoesNotContain("RefreshToken", stored.TokenCacheProtected);

        var test = await Connections.TestAsync(credential.Id);
        Assert.True(test.Ok, test.Error?.Message);
        Assert.Equal(setup.Tenant.User, test.Address);
    }

    [Fact]
    public async Task A_forced_refresh_saves_the_rotated_refresh_token()
    {
        var setup = await TenantAsync();
        var credential = await CreateAsync(setup);
        Assert.True((await SignInAsync(credential.Id, setup.Tenant.User)).Ok);
        var before = await app.LoadAsync(credential.Id);
        var oldRefreshToken = RefreshTokenIn(CacheJson(before));

        await app.Get<ICredentialTokens>().GetAccessTokenAsync(before, forceRefresh: true);

        var after = await app.LoadAsync(credential.Id);
        Assert.NotEqual(before.TokenCacheProtected, after.TokenCacheProtected);
        var newRefreshToken = RefreshTokenIn(CacheJson(after));
        Assert.NotEqual(oldRefreshToken, newRefreshToken);

        // And the saved one is the one that works next time (read back from the database, not from memory).
        await app.Get<ICredentialTokens>().GetAccessTokenAsync(after, forceRefresh: true);
        Assert.NotEqual(newRefreshToken, RefreshTokenIn(CacheJson(await app.LoadAsync(credential.Id))));
    }

    [Fact]
    public async Task Revoked_grants_put_the_credential_in_needs_reauthorisation_with_the_catalogued_error()
    {
        var setup = await TenantAsync();
        var credential = await CreateAsync(setup);
        Assert.True((await SignInAsync(credential.Id, setup.Tenant.User)).Ok);
        await app.Control().AddFaultAsync(new SandboxFaultRequest(setup.Tenant.User, SandboxFaultKind.RevokeGrants));

        var test = await Connections.TestAsync(credential.Id);

        Assert.False(test.Ok);
        var error = CredentialKit.AssertCatalogued(test.Error, "AADSTS50173");
        Assert.Equal(Engine.Errors.ErrorKind.Reauthorise, error.Kind);
        var view = (await Credentials.GetAsync(credential.Id))!;
        Assert.Equal(CredentialStatus.NeedsReauthorisation, view.Status);
        CredentialKit.AssertCatalogued(view.LastError, "AADSTS50173");

        // The dead grant's tokens are forgotten, so the scanner cannot flip the credential back to Connected with a
        // still-valid access token: it reports the catalogued invalid_grant and leaves the state as it is, never an exception.
        var forgotten = await app.LoadAsync(credential.Id);
        Assert.Null(forgotten.TokenCacheProtected is null ? null : RefreshTokenOrNull(CacheJson(forgotten)));
        var scan = await app.Get<IMailboxScanner>().ImportAsync(credential.MailboxId);
        CredentialKit.AssertCatalogued(scan.Error, "invalid_grant");
        Assert.Equal(CredentialStatus.NeedsReauthorisation, (await Credentials.GetAsync(credential.Id))!.Status);

        // Re-authorising recovers.
        Assert.True((await SignInAsync(credential.Id, setup.Tenant.User)).Ok);
        Assert.Equal(CredentialStatus.Connected, (await Credentials.GetAsync(credential.Id))!.Status);
    }

    [Fact]
    public async Task A_signed_in_credential_is_locked_until_disconnected()
    {
        var setup = await TenantAsync();
        var credential = await CreateAsync(setup);
        Assert.True((await SignInAsync(credential.Id, setup.Tenant.User)).Ok);
        var stored = await app.LoadAsync(credential.Id);
        var input = CredentialInput.From(stored);
        input.SharedMailbox = setup.Tenant.Shared;

        var refused = await Assert.ThrowsAsync<CredentialValidationException>(() => Credentials.UpdateAsync(credential.Id, input, Actor.System));
        Assert.Contains("Disconnect", Assert.Single(refused.Validation.For("credential")));

        await Connections.DisconnectAsync(credential.Id, Actor.System);

        var view = (await Credentials.GetAsync(credential.Id))!;
        Assert.False(view.Locked);
        Assert.Equal(CredentialStatus.NotConnected, view.Status);
        Assert.Null(view.ConnectedAddress);
        var cleared = await app.LoadAsync(credential.Id);
        Assert.Null(cleared.TokenCacheProtected);
        Assert.Null(cleared.HomeAccountId);
        var updated = await Credentials.UpdateAsync(credential.Id, input, Actor.System);
        Assert.Equal(setup.Tenant.Shared, updated.SharedMailbox);
    }

    [Fact]
    public async Task A_state_is_used_once()
    {
        var setup = await TenantAsync();
        var credential = await CreateAsync(setup);
        var (state, code) = await AuthoriseInBrowserAsync(credential.Id, setup.Tenant.User);
        Assert.True((await Connections.CompleteAuthorisationAsync(state, code, null, null, Starter)).Ok);

        var again = await Connections.CompleteAuthorisationAsync(state, code, null, null, Starter);

        Assert.False(again.Ok);
        Assert.Equal("StaleSignIn", again.Error?.Code);
    }

    [Fact]
    public async Task A_state_brought_back_by_another_person_connects_nothing_names_no_credential_and_is_spent()
    {
        var setup = await TenantAsync();
        var credential = await CreateAsync(setup);
        var (state, code) = await AuthoriseInBrowserAsync(credential.Id, setup.Tenant.User);

        var other = await Connections.CompleteAuthorisationAsync(state, code, null, null, Actor.User("other-admin@example.com"));
        var system = await Connections.CompleteAuthorisationAsync(state, code, null, null, Actor.System);
        var starterAfterwards = await Connections.CompleteAuthorisationAsync(state, code, null, null, Starter);

        Assert.False(other.Ok);
        Assert.Equal(AuthorisationResult.StartedByAnotherUser, other.Error?.Code);
        Assert.Null(other.CredentialId);
        Assert.Null(other.MailboxId);
        Assert.Equal("StaleSignIn", system.Error?.Code);
        Assert.Equal("StaleSignIn", starterAfterwards.Error?.Code);
        Assert.Null((await app.LoadAsync(credential.Id)).TokenCacheProtected);
    }

    [Fact]
    public async Task The_callback_shows_a_clear_page_to_an_administrator_who_did_not_start_the_sign_in()
    {
        var setup = await TenantAsync();
        var credential = await CreateAsync(setup);
        var authorize = await Connections.BeginAuthorisationAsync(credential.Id, RedirectUri, null, Actor.User("other-admin@example.com"));
        var state = QueryHelpers.ParseQuery(authorize.Query)["state"].ToString();
        var callback = $"/authcallback?state={Uri.EscapeDataString(state)}&code=attackers-code";

        using var anonymous = app.CreateBrowserClient(new CookieContainer());
        using var anonymousAnswer = await anonymous.GetAsync(callback);
        Assert.Equal(HttpStatusCode.Redirect, anonymousAnswer.StatusCode);
        Assert.StartsWith("/account/login", anonymousAnswer.Headers.Location?.PathAndQuery);

        using var admin = app.CreateBrowserClient(new CookieContainer());
        await BrowserSignIn.SignInAsync(admin, AdminPortalFactory.Email, AdminPortalFactory.Password);
        using var answer = await admin.GetAsync(callback);
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/configuration/email/authorisation-refused", answer.Headers.Location?.OriginalString);
        using var page = await admin.GetAsync(answer.Headers.Location);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("data-testid=\"authorisation-refused-page\"", html);
        Assert.Contains("This sign-in was not yours", html);
        Assert.Null((await app.LoadAsync(credential.Id)).TokenCacheProtected);
    }

    [Fact]
    public async Task A_delegate_without_Full_Access_is_refused_and_the_own_inbox_is_never_read()
    {
        var setup = await TenantAsync();
        var tenantKey = setup.Tenant.TenantId.ToString();
        var notDelegated = await app.Control().CreateUserAsync(tenantKey, new SandboxNewUser($"billing@{setup.Tenant.Domain}", "Billing", null, SandboxMailboxType.Shared));
        var credential = await CreateAsync(setup, notDelegated.UserPrincipalName);
        var ownMessage = SandboxKit.Mime("customer@external.test", setup.Tenant.User, "Personal mail of the delegate");
        await app.DeliverAsync(setup.Tenant.User, ownMessage);

        var result = await SignInAsync(credential.Id, setup.Tenant.User);

        Assert.False(result.Ok);
        var error = CredentialKit.AssertCatalogued(result.Error, "SharedMailboxNotDelegated");
        Assert.Contains(notDelegated.UserPrincipalName, error.Message);
        var view = (await Credentials.GetAsync(credential.Id))!;
        Assert.NotEqual(CredentialStatus.Connected, view.Status);
        CredentialKit.AssertCatalogued(view.LastError, "SharedMailboxNotDelegated");

        var scan = await app.Get<IMailboxScanner>().ImportAsync(credential.MailboxId);

        CredentialKit.AssertCatalogued(scan.Error, "SharedMailboxNotDelegated");
        Assert.Contains(notDelegated.UserPrincipalName, scan.Error!.Message);
        Assert.Equal(0, scan.Fetched);
        await using var db = await app.Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        Assert.False(await db.Set<InboundEmail>().AnyAsync(e => e.MailboxId == credential.MailboxId));
    }

    [Fact]
    public async Task A_delegate_with_Full_Access_connects_the_shared_mailbox()
    {
        var setup = await TenantAsync();
        var credential = await CreateAsync(setup, setup.Tenant.Shared);

        var result = await SignInAsync(credential.Id, setup.Tenant.User);

        Assert.True(result.Ok, result.Error?.Message);
        var view = (await Credentials.GetAsync(credential.Id))!;
        Assert.Equal(CredentialStatus.Connected, view.Status);
        Assert.Equal(setup.Tenant.Shared, view.ConnectedAddress);
        var scan = await app.Get<IMailboxScanner>().ImportAsync(credential.MailboxId);
        Assert.Null(scan.Error);
    }

    [Fact]
    public async Task The_authcallback_endpoint_completes_the_sign_in_for_a_signed_in_administrator()
    {
        var setup = await TenantAsync();
        var credential = await CreateAsync(setup);
        var (state, code) = await AuthoriseInBrowserAsync(credential.Id, setup.Tenant.User);
        using var browser = app.CreateBrowserClient(new CookieContainer());
        await BrowserSignIn.SignInAsync(browser, AdminPortalFactory.Email, AdminPortalFactory.Password);

        using var response = await browser.GetAsync($"/authcallback?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(state)}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/configuration/email/mailboxes/{credential.MailboxId}?tab=credentials&credential={credential.Id}&signin=ok", response.Headers.Location?.ToString());
        Assert.Equal(CredentialStatus.Connected, (await Credentials.GetAsync(credential.Id))!.Status);
    }
}
