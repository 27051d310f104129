using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace HaloPortal.Engine.Credentials;

/// <summary>What an uploaded certificate turned out to be: re-exported as a password-less PKCS#12 for encrypted storage.</summary>
public sealed record CertificateInfo(string Thumbprint, string Subject, DateTimeOffset NotBefore, DateTimeOffset ExpiresAt, byte[] Pkcs12);

public static class CertificateReader
{
    /// <summary>Reads a PFX (with its password) or a PEM holding the certificate and its private key.</summary>
    /// <exception cref="ArgumentException">With a message saying what is wrong with the file.</exception>
    public static CertificateInfo Read(byte[] content, string? password)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = LooksLikePem(content)
                ? X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(content))
                : X509CertificateLoader.LoadPkcs12(content, password, X509KeyStorageFlags.Exportable | X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException ex) when (!LooksLikePem(content))
        {
            throw new ArgumentException("The PFX could not be opened: check the password, or upload a PEM file with the certificate and its private key. (" + ex.Message + ")", "certificate", ex);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new ArgumentException("The PEM file must contain the certificate and its unencrypted private key (a CERTIFICATE block and an unencrypted private-key block).", "certificate", ex);
        }

        using (certificate)
        {
            if (!certificate.HasPrivateKey)
            {
                throw new ArgumentException("The certificate has no private key. Upload the PFX (or PEM) that includes the private key; the .cer goes to Azure.", "certificate");
            }

            var pkcs12 = certificate.Export(X509ContentType.Pkcs12);
            return new CertificateInfo(certificate.Thumbprint, certificate.Subject,
                new DateTimeOffset(certificate.NotBefore.ToUniversalTime()), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()), pkcs12);
        }
    }

    private static bool LooksLikePem(byte[] content) =>
        content.Length > 10 && Encoding.ASCII.GetString(content, 0, Math.Min(content.Length, 4096)).Contains("-----BEGIN", StringComparison.Ordinal);
}
