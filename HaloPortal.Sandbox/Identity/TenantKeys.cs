using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HaloPortal.Sandbox.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace HaloPortal.Sandbox.Identity;

/// <summary>Each tenant's token-signing certificate: created with the tenant, kept encrypted, cached once loaded.</summary>
internal sealed class TenantKeys(IDbContextFactory<SandboxDbContext> contexts, IDataProtectionProvider protection)
{
    private const string Purpose = "HaloPortal.Sandbox.SigningKeys";
    private readonly ConcurrentDictionary<Guid, TenantKey> _cache = new();

    public string CreateProtectedCertificate(string domain, DateTimeOffset now)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={domain} sandbox token signing", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));
        return protection.CreateProtector(Purpose).Protect(Convert.ToBase64String(certificate.Export(X509ContentType.Pkcs12)));
    }

    /// <summary>False when the stored certificate can no longer be decrypted (the portal's Data Protection keys changed).</summary>
    public bool CanRead(string protectedCertificate)
    {
        try
        {
            protection.CreateProtector(Purpose).Unprotect(protectedCertificate);
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return false;
        }
    }

    /// <summary>Forgets a cached key (after the tenant's certificate was replaced).</summary>
    public void Forget(Guid tenantId) => _cache.TryRemove(tenantId, out _);

    public async Task<TenantKey> GetAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(tenantId, out var cached))
        {
            return cached;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var protectedValue = await db.Tenants.Where(t => t.Id == tenantId).Select(t => t.ProtectedSigningCertificate).SingleAsync(cancellationToken);
        var pfx = Convert.FromBase64String(protection.CreateProtector(Purpose).Unprotect(protectedValue));
        var certificate = X509CertificateLoader.LoadPkcs12(pfx, null, X509KeyStorageFlags.EphemeralKeySet);
        var kid = Base64UrlEncoder.Encode(certificate.GetCertHash());
        var key = new TenantKey(certificate, new X509SecurityKey(certificate, kid), kid);
        return _cache.GetOrAdd(tenantId, key);
    }
}

internal sealed record TenantKey(X509Certificate2 Certificate, X509SecurityKey SecurityKey, string KeyId)
{
    public SigningCredentials SigningCredentials => new(SecurityKey, SecurityAlgorithms.RsaSha256);

    /// <summary>The key as Entra publishes it in its JWKS.</summary>
    public Dictionary<string, object> Jwk()
    {
        var parameters = Certificate.GetRSAPublicKey()!.ExportParameters(false);
        return new Dictionary<string, object>
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["kid"] = KeyId,
            ["x5t"] = KeyId,
            ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
            ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
            ["x5c"] = new[] { Convert.ToBase64String(Certificate.RawData) },
        };
    }
}
