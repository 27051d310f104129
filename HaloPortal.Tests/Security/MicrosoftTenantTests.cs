using System.Security.Claims;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;
using HaloPortal.Hosting;
using HaloPortal.Tests.Hosting;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HaloPortal.Tests.Security;

/// <summary>Sign in with Microsoft: one tenant (a GUID), its tokens only, and accounts linked by object id, never by address.</summary>
public sealed class MicrosoftTenantTests(MicrosoftSignInPortalFactory app) : IClassFixture<MicrosoftSignInPortalFactory>
{
    [Theory]
    [InlineData("common", "lets accounts from any tenant sign in")]
    [InlineData("organizations", "lets accounts from any tenant sign in")]
    [InlineData("Consumers", "lets accounts from any tenant sign in")]
    [InlineData("contoso.onmicrosoft.com", "is not a directory (tenant) ID")]
    public void A_tenant_that_is_not_a_GUID_is_refused_at_start_with_the_setting_named(string tenant, string why)
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["TenantId"] = tenant }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => MicrosoftSignIn.RequireTenantId(section));

        Assert.StartsWith("AzureAd:TenantId must be the GUID of your Microsoft Entra tenant", error.Message);
        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void A_portal_configured_for_common_does_not_start()
    {
        using var common = new MicrosoftSignInPortalFactory();
        common.Settings["AzureAd:TenantId"] = "common";

        var error = Assert.ThrowsAny<Exception>(() => common.Services);

        Assert.Contains("AzureAd:TenantId must be the GUID", error.ToString());
    }

    [Fact]
    public async Task An_ID_token_from_another_tenant_fails_validation_and_one_from_ours_passes()
    {
        var options = app.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(AuthenticationExtensions.MicrosoftScheme);
        var scheme = new AuthenticationScheme(AuthenticationExtensions.MicrosoftScheme, null, typeof(OpenIdConnectHandler));

        var foreign = await ValidateAsync(options, scheme, Guid.NewGuid().ToString());
        var missing = await ValidateAsync(options, scheme, null);
        var ours = await ValidateAsync(options, scheme, MicrosoftSignInPortalFactory.TenantId);

        Assert.Contains("not for AzureAd:TenantId", foreign.Result?.Failure?.Message);
        Assert.NotNull(missing.Result?.Failure);
        Assert.Null(ours.Result?.Failure);
    }

    [Fact]
    public void The_tenant_claim_is_read_raw_or_mapped()
    {
        var tenant = Guid.Parse(MicrosoftSignInPortalFactory.TenantId);

        Assert.True(MicrosoftClaims.IsFromTenant(Principal(new Claim("tid", tenant.ToString())), tenant), "raw tid");
        Assert.True(MicrosoftClaims.IsFromTenant(Principal(new Claim("http://schemas.microsoft.com/identity/claims/tenantid", tenant.ToString().ToUpperInvariant())), tenant), "mapped tid");
        Assert.False(MicrosoftClaims.IsFromTenant(Principal(new Claim("tid", Guid.NewGuid().ToString())), tenant), "other tenant");
        Assert.False(MicrosoftClaims.IsFromTenant(Principal(), tenant), "no tid");
    }

    [Fact]
    public async Task A_local_account_with_the_same_address_is_not_taken_over_by_a_Microsoft_sign_in()
    {
        var agents = app.Services.GetRequiredService<IAgents>();
        var email = $"local-{Guid.NewGuid():N}@contoso.com";
        var local = await agents.CreateAsync(new NewAgent("Local admin", email, "analytical1engine", [PortalRoles.Administrator]), Actor.System);

        var result = await app.Services.GetRequiredService<IExternalAccounts>().ResolveAsync(new ExternalAccount(Guid.NewGuid().ToString(), email.ToUpperInvariant(), "Impostor", ["Administrator"]));

        Assert.Equal(ExternalSignInFailure.LocalAccountNotLinked, result.Failure);
        Assert.False((await agents.GetAsync(local.Id))!.SignsInWithMicrosoft);
        Assert.StartsWith("A HaloPortal account with your email address already exists", SignInErrors.Message(SignInErrors.For(result.Failure!.Value)));
    }

    [Fact]
    public async Task A_linked_account_is_found_by_object_id_whatever_address_the_token_carries()
    {
        var external = app.Services.GetRequiredService<IExternalAccounts>();
        var objectId = Guid.NewGuid().ToString();
        var first = await external.ResolveAsync(new ExternalAccount(objectId, $"megan-{objectId}@contoso.com", "Megan", ["Agent"]));

        var renamed = await external.ResolveAsync(new ExternalAccount(objectId, $"megan.bowen-{objectId}@contoso.com", "Megan", ["Agent"]));
        var otherPersonSameAddress = await external.ResolveAsync(new ExternalAccount(Guid.NewGuid().ToString(), $"megan-{objectId}@contoso.com", "Not Megan", ["Agent"]));

        Assert.Equal(first.UserId, renamed.UserId);
        Assert.Equal(ExternalSignInFailure.LinkedToAnotherAccount, otherPersonSameAddress.Failure);
    }

    private async Task<TokenValidatedContext> ValidateAsync(OpenIdConnectOptions options, AuthenticationScheme scheme, string? tenantId)
    {
        using var scope = app.Services.CreateScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var claims = new List<Claim> { new("oid", Guid.NewGuid().ToString()) };
        if (tenantId is not null)
        {
            claims.Add(new Claim("tid", tenantId));
        }

        var context = new TokenValidatedContext(http, scheme, options, new ClaimsPrincipal(new ClaimsIdentity(claims, "oidc")), new AuthenticationProperties());
        await options.Events.TokenValidated(context);
        return context;
    }

    private static ClaimsPrincipal Principal(params Claim[] claims) => new(new ClaimsIdentity(claims, "oidc"));
}
