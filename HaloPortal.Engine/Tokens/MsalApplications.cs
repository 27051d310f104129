using System.Security.Cryptography.X509Certificates;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Errors;
using Microsoft.Identity.Client;

namespace HaloPortal.Engine.Tokens;

/// <summary>Builds MSAL confidential clients for credentials: the real MSAL, reaching the sandbox only through host routing.</summary>
internal sealed class MsalApplications(
    IHttpClientFactory httpClients,
    ICredentialSecrets secrets,
    IAuthorities authorities,
    FederatedTokenDirectory federatedTokens)
{
    public const string HttpClientName = "HaloPortal.Microsoft";

    /// <summary>A client for a credential. Client-credential tokens share MSAL's process-wide app cache; delegated caches are bound by the caller.</summary>
    /// <exception cref="CredentialException">The credential cannot be used here: authority refused (sandbox off), secret unreadable, token file outside its folder.</exception>
    public IConfidentialClientApplication Build(MailboxCredential credential, string? redirectUri = null)
    {
        if (authorities.RefusalOf(credential.Authority) is { } refusal)
        {
            throw new CredentialException(refusal.Error);
        }

        var endpoints = authorities.For(credential.Authority);
        var builder = ConfidentialClientApplicationBuilder.Create(credential.ClientId)
            .WithAuthority(endpoints.AuthorityUrl(credential.TenantId), validateAuthority: endpoints.KnownToMsal)
            .WithHttpClientFactory(new Factory(httpClients))
            .WithLegacyCacheCompatibility(false);

        if (!endpoints.KnownToMsal)
        {
            builder = builder.WithInstanceDiscovery(false);
        }

        if (redirectUri is not null)
        {
            builder = builder.WithRedirectUri(redirectUri);
        }

        if (credential.AuthMethod == AuthMethod.ClientCredentials)
        {
            builder = builder.WithCacheOptions(CacheOptions.EnableSharedCacheOptions);
        }

        builder = credential.CredentialType switch
        {
            CredentialType.ClientSecret => builder.WithClientSecret(
                secrets.Unprotect(credential.ClientSecretProtected ?? throw new InvalidOperationException("The credential has no client secret: enter the secret's Value and save."))),
            CredentialType.Certificate => builder.WithCertificate(LoadCertificate(credential), sendX5C: true),
            CredentialType.FederatedCredential => builder.WithClientAssertion(
                (AssertionRequestOptions _) => ReadFederatedTokenAsync(credential.FederatedTokenFile)),
            _ => throw new InvalidOperationException($"Unknown credential type {credential.CredentialType}."),
        };
        return builder.Build();
    }

    private X509Certificate2 LoadCertificate(MailboxCredential credential)
    {
        var pfx = secrets.UnprotectBytes(credential.CertificateProtected ?? throw new InvalidOperationException("The credential has no certificate: upload one and save."));
        return X509CertificateLoader.LoadPkcs12(pfx, password: null, X509KeyStorageFlags.EphemeralKeySet);
    }

    private async Task<string> ReadFederatedTokenAsync(string? path)
    {
        if (!string.IsNullOrWhiteSpace(path) && FederatedTokenFiles.ProblemAtRead(path, federatedTokens.Path) is { } problem)
        {
            throw new CredentialException(KnownErrors.Find(KnownErrors.FederatedTokenFileOutsideDirectory)! with { Message = problem });
        }

        var full = string.IsNullOrWhiteSpace(path) ? null : FederatedTokenFiles.Resolve(path, federatedTokens.Path);
        if (full is null || !File.Exists(full))
        {
            throw new CredentialException(new KnownError("FederatedTokenFileMissing", "Federated token file not found",
                $"The federated token file '{full ?? path}' does not exist or cannot be read.",
                "Check the path on the credential and that the portal's service account can read the file.", ErrorKind.Configuration));
        }

        return (await File.ReadAllTextAsync(full)).Trim();
    }

    private sealed class Factory(IHttpClientFactory httpClients) : IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => httpClients.CreateClient(HttpClientName);
    }
}
