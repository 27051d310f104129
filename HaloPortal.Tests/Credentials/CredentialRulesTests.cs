using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Portal;

namespace HaloPortal.Tests.Credentials;

public sealed class CredentialRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    private static CredentialInput Valid() => new()
    {
        AuthMethod = AuthMethod.ClientCredentials,
        CredentialType = CredentialType.ClientSecret,
        ProcessingMethod = ProcessingMethod.Webhooks,
        TenantId = "contoso.onmicrosoft.com",
        ClientId = "2f6a5c1e-8d4b-4b8f-9a57-3c1d2e4f5a6b",
        ClientSecret = "Abc8Q~x2lZ3pW5kT8nR0vY4uE7oI1sD6fG9hJ2kL",
        SecretExpiresAt = Now.AddDays(180),
        EmailAddress = "support@contoso.com",
    };

    private static CredentialValidation Validate(CredentialInput input, PortalHosting hosting = PortalHosting.Cloud, bool storedSecret = false) =>
        CredentialRules.Validate(input, hosting, storedSecret, hasStoredCertificate: false, Now);

    [Fact]
    public void A_complete_client_secret_credential_is_valid()
    {
        var result = Validate(Valid());

        Assert.True(result.IsValid, string.Join(" ", result.Errors.SelectMany(e => e.Value)));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void A_secret_id_pasted_as_the_secret_is_refused_with_the_fix()
    {
        var input = Valid();
        input.ClientSecret = Guid.NewGuid().ToString();

        var result = Validate(input);

        Assert.Equal(CredentialRules.SecretIdMessage, Assert.Single(result.For("clientSecret")));
        Assert.Contains("copy the secret's Value", CredentialRules.SecretIdMessage);
    }

    [Theory]
    [InlineData("not a tenant")]
    [InlineData("")]
    [InlineData("common")]
    public void Tenant_must_be_a_guid_or_a_verified_domain(string tenant)
    {
        var input = Valid();
        input.TenantId = tenant;

        Assert.NotEmpty(Validate(input).For("tenantId"));
    }

    [Fact]
    public void Client_id_must_be_a_guid()
    {
        var input = Valid();
        input.ClientId = "my-app";

        Assert.Contains("GUID", Assert.Single(Validate(input).For("clientId")));
    }

    [Fact]
    public void A_secret_expiring_within_30_days_warns_and_an_expired_one_is_an_error()
    {
        var soon = Valid();
        soon.SecretExpiresAt = Now.AddDays(12);
        var past = Valid();
        past.SecretExpiresAt = Now.AddDays(-1);

        var warned = Validate(soon);
        Assert.True(warned.IsValid);
        Assert.Contains("12 days", Assert.Single(warned.Warnings));
        Assert.Contains("expired on 2026-11-26", Assert.Single(Validate(past).For("secretExpiresAt")));
    }

    [Fact]
    public void On_edit_a_blank_secret_keeps_the_stored_one()
    {
        var input = Valid();
        input.ClientSecret = null;

        Assert.True(Validate(input, storedSecret: true).IsValid);
        Assert.NotEmpty(Validate(input, storedSecret: false).For("clientSecret"));
    }

    [Fact]
    public void Authorisation_code_is_forced_to_mailbox_scan()
    {
        var input = Valid();
        input.AuthMethod = AuthMethod.AuthorizationCode;
        input.ProcessingMethod = ProcessingMethod.Webhooks;

        Assert.NotEmpty(Validate(input).For("processingMethod"));
        input.Normalise(PortalHosting.Cloud);
        Assert.Equal(ProcessingMethod.MailboxScan, input.ProcessingMethod);
        Assert.Null(input.EmailAddress);
        Assert.True(Validate(input).IsValid);
    }

    [Fact]
    public void Federated_credentials_are_for_on_premises_client_credentials_only()
    {
        var input = Valid();
        input.CredentialType = CredentialType.FederatedCredential;
        input.FederatedTokenFile = "/var/run/secrets/token";

        Assert.Contains("on-premises", Assert.Single(Validate(input, PortalHosting.Cloud).For("credentialType")));
        Assert.True(Validate(input, PortalHosting.OnPremises).IsValid);

        input.FederatedTokenFile = null;
        Assert.NotEmpty(Validate(input, PortalHosting.OnPremises).For("federatedTokenFile"));
    }

    [Fact]
    public void Client_credentials_need_a_mailbox_address()
    {
        var input = Valid();
        input.EmailAddress = "support";

        Assert.Contains("full email address", Assert.Single(Validate(input).For("emailAddress")));
    }
}
