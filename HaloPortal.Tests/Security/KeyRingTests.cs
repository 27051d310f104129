using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Data.KeyRing;
using HaloPortal.Engine.Tokens;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Security;

/// <summary>The Data Protection key ring is stored encrypted with a key-encryption certificate kept apart from the database.</summary>
public sealed class KeyRingTests
{
    [Fact]
    public async Task Keys_are_stored_encrypted_and_the_generated_certificate_is_owner_only_outside_the_data_folder()
    {
        using var app = new PortalAppFactory();
        _ = app.BaseAddress;
        app.Services.GetRequiredService<ICredentialSecrets>().Protect("a secret");

        var stored = await StoredKeysAsync(app);

        Assert.NotEmpty(stored);
        Assert.All(stored, xml =>
        {
            Assert.Contains("encryptedSecret", xml);
            Assert.DoesNotContain("<masterKey", xml);
        });
        var certificate = Path.Combine(app.KeyDirectory, KeyRingCertificates.GeneratedFileName);
        Assert.True(File.Exists(certificate));
        Assert.False(Path.GetFullPath(certificate).StartsWith(Path.GetFullPath(app.DataDirectory) + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(certificate));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(app.KeyDirectory));
        }
    }

    [Fact]
    public void Production_without_a_certificate_refuses_to_start_and_names_the_settings()
    {
        using var app = new PortalAppFactory { EnvironmentName = "Production" };
        app.Settings["Portal:PublicBaseUrl"] = ProductionPortalFactory.PublicBaseUrl;

        var ex = Assert.ThrowsAny<Exception>(() => app.BaseAddress);

        var message = Messages(ex);
        Assert.Contains("Portal:DataProtection:Certificate:Path", message);
        Assert.Contains("Portal:DataProtection:AllowGeneratedCertificate=true", message);
    }

    [Fact]
    public async Task Production_starts_with_the_waiver_for_a_generated_certificate()
    {
        using var app = new PortalAppFactory { EnvironmentName = "Production" };
        app.Settings["Portal:PublicBaseUrl"] = ProductionPortalFactory.PublicBaseUrl;
        app.Settings["Portal:DataProtection:AllowGeneratedCertificate"] = "true";

        using var response = await app.CreateApiClient().GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(File.Exists(Path.Combine(app.KeyDirectory, KeyRingCertificates.GeneratedFileName)));
    }

    [Fact]
    public async Task A_configured_PFX_certificate_encrypts_the_keys_in_Production_and_none_is_generated()
    {
        using var app = new PortalAppFactory { EnvironmentName = "Production" };
        app.Settings["Portal:PublicBaseUrl"] = ProductionPortalFactory.PublicBaseUrl;
        var pfx = Path.Combine(app.DataDirectory + "-cert", "key-encryption.pfx");
        Directory.CreateDirectory(Path.GetDirectoryName(pfx)!);
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=test key encryption", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12, "pfx-password"));
        }

        app.Settings["Portal:DataProtection:Certificate:Path"] = pfx;
        app.Settings["Portal:DataProtection:Certificate:Password"] = "pfx-password";
        try
        {
            _ = app.BaseAddress;
            var secrets = app.Services.GetRequiredService<ICredentialSecrets>();
            Assert.Equal("a secret", secrets.Unprotect(secrets.Protect("a secret")));

            Assert.All(await StoredKeysAsync(app), xml => Assert.Contains("encryptedSecret", xml));
            Assert.False(File.Exists(Path.Combine(app.KeyDirectory, KeyRingCertificates.GeneratedFileName)));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(pfx)!, recursive: true);
        }
    }

    private static async Task<List<string>> StoredKeysAsync(PortalAppFactory app)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml!).ToListAsync();
    }

    private static string Messages(Exception? ex)
    {
        var text = "";
        for (; ex is not null; ex = ex.InnerException)
        {
            text += ex.Message + "\n";
        }

        return text;
    }
}
