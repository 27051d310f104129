using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HaloPortal.Tests.Credentials;

/// <summary>Portal mailboxes and credentials pointed at sandbox tenants, driven through the engine's public services.</summary>
internal static class CredentialKit
{
    /// <summary>The application permissions the Required permissions panel lists for client credentials: nothing more.</summary>
    public static readonly string[] DocumentedApplicationPermissions = ["Mail.ReadWrite", "Mail.Send"];

    /// <summary>The delegated permissions the panel lists for a shared mailbox (offline_access is implicit).</summary>
    public static readonly string[] DocumentedDelegatedPermissions = ["Mail.ReadWrite", "Mail.Send", "Mail.ReadWrite.Shared", "Mail.Send.Shared"];

    public static T Get<T>(this PortalAppFactory app)
        where T : notnull => app.Services.GetRequiredService<T>();

    public static async Task<int> CreateMailboxAsync(this PortalAppFactory app) =>
        (await app.Get<IMailboxes>().CreateAsync("Credentials " + Guid.NewGuid().ToString("N")[..8], MailboxConnectionType.Office365Azure, Actor.System)).Id;

    public static CredentialInput ClientCredentials(Guid tenantId, Guid appId, string mailbox, string? secret = null) => new()
    {
        Instance = PortalInstance.Production,
        AuthMethod = AuthMethod.ClientCredentials,
        CredentialType = CredentialType.ClientSecret,
        ProcessingMethod = ProcessingMethod.MailboxScan,
        Authority = GraphAuthority.Sandbox,
        TenantId = tenantId.ToString(),
        ClientId = appId.ToString(),
        ClientSecret = secret,
        SecretExpiresAt = DateTimeOffset.UtcNow.AddDays(180),
        EmailAddress = mailbox,
    };

    /// <summary>A new mailbox with one credential, created as an administrator would.</summary>
    public static async Task<CredentialView> CreateCredentialAsync(this PortalAppFactory app, CredentialInput input) =>
        await app.Get<ICredentials>().CreateAsync(await app.CreateMailboxAsync(), input, Actor.System);

    public static async Task<MailboxCredential> LoadAsync(this PortalAppFactory app, int credentialId)
    {
        await using var db = await app.Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await db.Set<MailboxCredential>().AsNoTracking().SingleAsync(c => c.Id == credentialId);
    }

    public static async Task UpdateStoredAsync(this PortalAppFactory app, int credentialId, Action<MailboxCredential> change)
    {
        await using var db = await app.Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        change(await db.Set<MailboxCredential>().SingleAsync(c => c.Id == credentialId));
        await db.SaveChangesAsync();
    }

    /// <summary>The error is the catalogue's entry for <paramref name="code"/>: same code and the catalogue's fix.</summary>
    public static KnownError AssertCatalogued(KnownError? error, string code)
    {
        Assert.NotNull(error);
        Assert.Equal(code, error.Code);
        var catalogued = KnownErrors.Find(code);
        Assert.NotNull(catalogued);
        Assert.Equal(catalogued.Fix, error.Fix);
        Assert.Equal(catalogued.Kind, error.Kind);
        return error;
    }

    /// <summary>A self-signed certificate with its private key, made at test time.</summary>
    public static X509Certificate2 CreateCertificate(string subject)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null, X509KeyStorageFlags.Exportable | X509KeyStorageFlags.EphemeralKeySet);
    }
}

/// <summary>An on-premises token issuer (like a Kubernetes service-account issuer): signs client assertions; its JWKS goes to the sandbox app.</summary>
internal sealed class FederatedIssuer : IDisposable
{
    public const string Issuer = "https://issuer.onprem.test";
    public const string Audience = "api://AzureADTokenExchange";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RsaSecurityKey _key;

    public FederatedIssuer()
    {
        _key = new RsaSecurityKey(_rsa) { KeyId = "issuer-key-" + Guid.NewGuid().ToString("N")[..6] };
    }

    public string Jwks
    {
        get
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_rsa.ExportParameters(false)) { KeyId = _key.KeyId });
            return JsonSerializer.Serialize(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, n = jwk.N, e = jwk.E, use = "sig" } } });
        }
    }

    public string CreateAssertion(string subject) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = Audience,
        Subject = new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim("sub", subject)]),
        Expires = DateTime.UtcNow.AddMinutes(10),
        SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
    });

    public void Dispose() => _rsa.Dispose();
}
