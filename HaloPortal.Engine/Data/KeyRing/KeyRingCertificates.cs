using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace HaloPortal.Engine.Data.KeyRing;

/// <summary>
/// Resolves the key-encryption certificates from <see cref="KeyRingOptions"/> when the host is built: the configured one, or on the
/// embedded default a self-signed one generated once in the key directory (owner-only permissions on Unix). Production without a
/// configured certificate refuses to start unless the waiver is set.
/// </summary>
internal sealed class KeyRingCertificates
{
    /// <summary>The generated certificate's file in <see cref="KeyDirectory"/>.</summary>
    public const string GeneratedFileName = "key-encryption.pfx";

    private KeyRingCertificates(X509Certificate2 current, IReadOnlyList<X509Certificate2> previous, string? generatedPath)
    {
        Current = current;
        Previous = previous;
        GeneratedPath = generatedPath;
    }

    /// <summary>Encrypts new keys (and decrypts them).</summary>
    public X509Certificate2 Current { get; }

    /// <summary>Decrypt keys encrypted before a rotation.</summary>
    public IReadOnlyList<X509Certificate2> Previous { get; }

    /// <summary>The generated certificate's file, or null when the certificate is configured.</summary>
    public string? GeneratedPath { get; }

    /// <summary>The folder of the generated certificate: <c>Portal:DataProtection:KeyDirectory</c>, else <c>&lt;content root&gt;/keys</c>.</summary>
    public static string KeyDirectory(KeyRingOptions options, IHostEnvironment environment) =>
        string.IsNullOrWhiteSpace(options.KeyDirectory)
            ? Path.Combine(environment.ContentRootPath, "keys")
            : Path.GetFullPath(options.KeyDirectory, environment.ContentRootPath);

    /// <exception cref="InvalidOperationException">The configuration is wrong or refused; the message names the setting.</exception>
    public static KeyRingCertificates Resolve(IConfiguration configuration, IHostEnvironment environment)
    {
        var options = configuration.GetSection(KeyRingOptions.SectionName).Get<KeyRingOptions>() ?? new KeyRingOptions();
        var previous = options.PreviousCertificates.Select((c, i) => Load(c, environment, $"{KeyRingOptions.SectionName}:PreviousCertificates:{i}")).ToList();
        if (options.Certificate.IsSet)
        {
            return new KeyRingCertificates(Load(options.Certificate, environment, $"{KeyRingOptions.SectionName}:Certificate"), previous, null);
        }

        if (environment.IsProduction() && !options.AllowGeneratedCertificate)
        {
            throw new InvalidOperationException(
                "No key-encryption certificate is configured for the Data Protection key ring (the keys that encrypt client secrets, certificates, tokens and sign-in cookies). " +
                "Set Portal:DataProtection:Certificate:Path (a PFX file, with Portal:DataProtection:Certificate:Password) or Portal:DataProtection:Certificate:Thumbprint (a certificate in the X509 store), " +
                "or accept a certificate generated in Portal:DataProtection:KeyDirectory with Portal:DataProtection:AllowGeneratedCertificate=true (back that folder up separately from the database).");
        }

        var directory = KeyDirectory(options, environment);
        var database = configuration.DataDirectory(environment);
        if (IsSameOrInside(directory, database))
        {
            throw new InvalidOperationException(
                $"Portal:DataProtection:KeyDirectory ('{directory}') must not be the data folder or inside it ('{database}'): a copy of the database must not carry the key that decrypts it. Choose another folder.");
        }

        return new KeyRingCertificates(LoadOrGenerate(directory), previous, Path.Combine(directory, GeneratedFileName));
    }

    private static X509Certificate2 Load(KeyCertificateOptions options, IHostEnvironment environment, string setting)
    {
        X509Certificate2 certificate;
        if (!string.IsNullOrWhiteSpace(options.Path))
        {
            var path = Path.GetFullPath(options.Path, environment.ContentRootPath);
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"{setting}:Path: the key-encryption certificate '{path}' does not exist. Give the path of a PFX file with its private key.");
            }

            try
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(path, options.Password, X509KeyStorageFlags.DefaultKeySet);
            }
            catch (CryptographicException ex)
            {
                throw new InvalidOperationException($"{setting}:Path: '{path}' could not be read as a PFX file with {setting}:Password ({ex.Message}).", ex);
            }
        }
        else
        {
            if (!Enum.TryParse<StoreName>(options.StoreName, ignoreCase: true, out var storeName) || !Enum.TryParse<StoreLocation>(options.StoreLocation, ignoreCase: true, out var location))
            {
                throw new InvalidOperationException($"{setting}:StoreName / StoreLocation: use a store name such as My and CurrentUser or LocalMachine.");
            }

            using var store = new X509Store(storeName, location);
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            var thumbprint = options.Thumbprint!.Replace(" ", "", StringComparison.Ordinal);
            certificate = store.Certificates.Find(X509FindType.FindByThumbprint, thumbprint, validOnly: false).FirstOrDefault()
                ?? throw new InvalidOperationException($"{setting}:Thumbprint: no certificate with thumbprint {thumbprint} is in the {location}/{storeName} store.");
        }

        if (!certificate.HasPrivateKey || certificate.GetRSAPrivateKey() is null)
        {
            throw new InvalidOperationException($"{setting}: the key-encryption certificate {certificate.Thumbprint} must be an RSA certificate with its private key.");
        }

        return certificate;
    }

    private static X509Certificate2 LoadOrGenerate(string directory)
    {
        CreatePrivateDirectory(directory);
        var path = Path.Combine(directory, GeneratedFileName);
        if (File.Exists(path))
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            return X509CertificateLoader.LoadPkcs12FromFile(path, password: null, X509KeyStorageFlags.DefaultKeySet);
        }

        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=HaloPortal Data Protection key encryption", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, critical: true));
        var now = DateTimeOffset.UtcNow; // the host is being built: no TimeProvider yet; the validity only needs to cover "now"
        using var generated = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(100));
        var pfx = generated.Export(X509ContentType.Pkcs12);

        // Written to a temporary file with owner-only permissions first, then moved: the key is never readable by others, even briefly.
        var temporary = path + ".tmp";
        using (var stream = OwnerOnlyFile(temporary))
        {
            stream.Write(pfx);
        }

        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process sharing the folder generated it first: use that one, so both encrypt with the same certificate.
            File.Delete(temporary);
            return X509CertificateLoader.LoadPkcs12FromFile(path, password: null, X509KeyStorageFlags.DefaultKeySet);
        }

        return X509CertificateLoader.LoadPkcs12(pfx, password: null, X509KeyStorageFlags.DefaultKeySet);
    }

    private static void CreatePrivateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return;
        }

        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static FileStream OwnerOnlyFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
    }

    private static bool IsSameOrInside(string path, string folder)
    {
        var a = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)) + Path.DirectorySeparatorChar;
        var b = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar;
        return a.StartsWith(b, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }
}
