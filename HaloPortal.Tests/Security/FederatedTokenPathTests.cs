using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Credentials;
using HaloPortal.Tests.Sandbox;

namespace HaloPortal.Tests.Security;

/// <summary>Federated token files are read only inside Portal:FederatedTokenDirectory: checked when saved and again when read.</summary>
public sealed class FederatedTokenPathTests(OnPremisesPortalFactory app) : IClassFixture<OnPremisesPortalFactory>
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "halo-tokens");

    [Theory]
    [InlineData("../portal.db")]
    [InlineData("tokens/../../etc/passwd")]
    [InlineData("/etc/passwd")]
    public void A_path_outside_the_token_folder_or_with_dotdot_is_refused_with_what_to_do(string path)
    {
        var validation = CredentialRules.Validate(Federated(path), PortalHosting.OnPremises, false, false, DateTimeOffset.UnixEpoch.AddYears(56), null, Folder);

        var message = Assert.Single(validation.For("federatedTokenFile"));
        Assert.Contains(FederatedTokenFiles.Setting, message);
        Assert.Contains(Folder, message);
    }

    [Theory]
    [InlineData("azure-identity-token")]
    [InlineData("nested/azure-identity-token")]
    public void A_file_inside_the_token_folder_is_accepted(string path)
    {
        Assert.Empty(CredentialRules.Validate(Federated(path), PortalHosting.OnPremises, false, false, DateTimeOffset.UnixEpoch.AddYears(56), null, Folder).For("federatedTokenFile"));
        Assert.Empty(CredentialRules.Validate(Federated(Path.Combine(Folder, path)), PortalHosting.OnPremises, false, false, DateTimeOffset.UnixEpoch.AddYears(56), null, Folder)
            .For("federatedTokenFile"));
    }

    [Fact]
    public async Task The_portal_refuses_to_save_a_path_outside_its_folder_and_refuses_to_read_one_stored_anyway()
    {
        var tenant = await app.CreateTenantAsync();
        var input = CredentialKit.ClientCredentials(tenant.TenantId, tenant.AppId, tenant.Shared);
        input.CredentialType = CredentialType.FederatedCredential;
        input.FederatedTokenFile = "/etc/hostname";

        var refused = await Assert.ThrowsAsync<CredentialValidationException>(() => app.CreateCredentialAsync(input));
        Assert.Contains(FederatedTokenFiles.Setting, Assert.Single(refused.Validation.For("federatedTokenFile")));

        input.FederatedTokenFile = "token.jwt";
        var credential = await app.CreateCredentialAsync(input);
        await app.UpdateStoredAsync(credential.Id, c => c.FederatedTokenFile = Path.Combine(app.DataDirectory, "..", "elsewhere.jwt"));

        var result = await app.Get<ICredentialConnections>().TestAsync(credential.Id);

        Assert.False(result.Ok);
        Assert.Equal(KnownErrors.FederatedTokenFileOutsideDirectory, result.Error?.Code);
    }

    private static CredentialInput Federated(string path)
    {
        var input = CredentialKit.ClientCredentials(Guid.NewGuid(), Guid.NewGuid(), "support@contoso.com");
        input.CredentialType = CredentialType.FederatedCredential;
        input.FederatedTokenFile = path;
        return input;
    }
}
