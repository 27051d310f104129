using System.Security.Claims;
using HaloPortal.Hosting;

namespace HaloPortal.Tests.Hosting;

public sealed class MicrosoftClaimsTests
{
    [Fact]
    public void Reads_raw_ID_token_claims()
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim("oid", "oid-1"),
            new Claim("preferred_username", "megan@contoso.com"),
            new Claim("name", "Megan Bowen"),
            new Claim("roles", "Agent"),
            new Claim("roles", "HaloPortal.Support"),
        ], "oidc"));

        var account = MicrosoftClaims.ToExternalAccount(principal);

        Assert.Equal("oid-1", account.ObjectId);
        Assert.Equal("megan@contoso.com", account.Email);
        Assert.Equal("Megan Bowen", account.DisplayName);
        Assert.Equal(["Agent", "HaloPortal.Support"], account.RoleClaims);
    }

    [Fact]
    public void Reads_claims_renamed_by_inbound_claim_mapping_and_prefers_email_over_the_username()
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid-2"),
            new Claim("preferred_username", "upn@contoso.onmicrosoft.com"),
            new Claim(ClaimTypes.Email, "alex@contoso.com"),
            new Claim(ClaimTypes.Name, "Alex Wilber"),
            new Claim(ClaimTypes.Role, "Administrator"),
        ], "oidc"));

        var account = MicrosoftClaims.ToExternalAccount(principal);

        Assert.Equal("oid-2", account.ObjectId);
        Assert.Equal("alex@contoso.com", account.Email);
        Assert.Equal("Alex Wilber", account.DisplayName);
        Assert.Equal(["Administrator"], account.RoleClaims);
    }

    [Fact]
    public void Every_refusal_has_a_message_and_unknown_codes_have_none()
    {
        foreach (var failure in Enum.GetValues<HaloPortal.Engine.Accounts.ExternalSignInFailure>())
        {
            Assert.False(string.IsNullOrEmpty(SignInErrors.Message(SignInErrors.For(failure))));
        }

        Assert.Null(SignInErrors.Message("<script>"));
        Assert.Null(SignInErrors.Message(null));
    }
}
