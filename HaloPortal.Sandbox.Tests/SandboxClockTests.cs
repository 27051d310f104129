using System.Net;
using System.Text.Json;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Identity.Client;
using Microsoft.Graph.Models.ODataErrors;

namespace HaloPortal.Sandbox.Tests;

/// <summary>A portal whose clock the test moves: the sandbox reads time only from the injected <see cref="TimeProvider"/>.</summary>
public sealed class FakeClockPortalFactory : PortalAppFactory
{
    public FakeClockPortalFactory() => ConfigureTestServices = services => services.AddSingleton<TimeProvider>(Clock);

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);
}

/// <summary>Expiry by the injected clock: refresh tokens unused for 90 days, secrets, access tokens.</summary>
public sealed class SandboxClockTests(FakeClockPortalFactory app) : IClassFixture<FakeClockPortalFactory>
{
    [Fact]
    public async Task Refresh_token_unused_for_90_days_is_AADSTS700082_and_a_rotated_one_still_works()
    {
        var tenant = await app.CreateTenantAsync();
        var first = await SandboxAuthorizationCodeTests.RedeemRawAsync(app, tenant);
        using var http = app.RawClient();

        app.Clock.Advance(TimeSpan.FromDays(60));
        var rotated = JsonDocument.Parse(await (await SandboxAuthorizationCodeTests.RefreshAsync(http, tenant, first.GetProperty("refresh_token").GetString()!)).Content.ReadAsStringAsync()).RootElement;
        app.Clock.Advance(TimeSpan.FromDays(31));

        var stale = await SandboxAuthorizationCodeTests.RefreshAsync(http, tenant, first.GetProperty("refresh_token").GetString()!);
        var fresh = await SandboxAuthorizationCodeTests.RefreshAsync(http, tenant, rotated.GetProperty("refresh_token").GetString()!);

        Assert.Equal(HttpStatusCode.BadRequest, stale.StatusCode);
        var error = JsonDocument.Parse(await stale.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("invalid_grant", error.GetProperty("error").GetString());
        Assert.StartsWith("AADSTS700082: The refresh token has expired due to inactivity.", error.GetProperty("error_description").GetString());
        Assert.Contains("was inactive for 90.00:00:00", error.GetProperty("error_description").GetString());
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Fact]
    public async Task Msal_reports_the_inactive_refresh_token_as_ui_required()
    {
        var tenant = await app.CreateTenantAsync();
        var first = await SandboxAuthorizationCodeTests.RedeemRawAsync(app, tenant);
        app.Clock.Advance(TimeSpan.FromDays(91));

        var ex = await Assert.ThrowsAsync<MsalUiRequiredException>(() =>
            ((IByRefreshToken)app.Msal(tenant)).AcquireTokenByRefreshToken(["https://graph.microsoft.com/Mail.ReadWrite"], first.GetProperty("refresh_token").GetString()!).ExecuteAsync());

        Assert.Equal("invalid_grant", ex.ErrorCode);
        Assert.Contains("AADSTS700082", ex.Message);
    }

    [Fact]
    public async Task Secret_expires_by_the_injected_clock_and_Graph_refuses_an_expired_token()
    {
        var tenant = await app.CreateTenantAsync();
        var shortLived = await app.Control().AddSecretAsync(tenant.TenantId.ToString(), tenant.AppId, "30 days", app.Clock.GetUtcNow().AddDays(30));
        tenant = tenant with { Secret = shortLived.SecretValue };
        var token = await app.AppTokenAsync(tenant);
        var graph = app.Graph(_ => Task.FromResult(token));
        Assert.NotNull(await graph.Users[tenant.User].MailFolders["inbox"].GetAsync());

        app.Clock.Advance(TimeSpan.FromDays(31));

        var expired = await Assert.ThrowsAsync<ODataError>(() => graph.Users[tenant.User].MailFolders["inbox"].GetAsync());
        Assert.Equal(401, expired.ResponseStatusCode);
        Assert.Equal("InvalidAuthenticationToken", expired.Error!.Code);
        var ex = await Assert.ThrowsAsync<MsalServiceException>(() => app.Msal(tenant).AcquireTokenForClient([SandboxHosts.GraphDefaultScope]).ExecuteAsync());
        Assert.Contains("AADSTS7000222", ex.Message);
    }
}
