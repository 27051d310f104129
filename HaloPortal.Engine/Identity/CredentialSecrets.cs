using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace HaloPortal.Engine.Identity;

/// <summary>Encrypts credential secrets, certificates and token caches at rest (ASP.NET Core Data Protection).</summary>
public interface ICredentialSecrets
{
    string Protect(string plaintext);

    string Unprotect(string protectedText);

    string ProtectBytes(byte[] plaintext);

    byte[] UnprotectBytes(string protectedText);
}

internal sealed class CredentialSecrets(IDataProtectionProvider provider) : ICredentialSecrets
{
    private readonly IDataProtector _protector = provider.CreateProtector("HaloPortal.Credentials.v1");

    public string Protect(string plaintext) => _protector.Protect(plaintext);

    public string Unprotect(string protectedText)
    {
        try
        {
            return _protector.Unprotect(protectedText);
        }
        catch (CryptographicException ex)
        {
            throw new InvalidOperationException("A stored secret can no longer be decrypted (the Data Protection keys changed). Enter the secret again.", ex);
        }
    }

    public string ProtectBytes(byte[] plaintext) => Convert.ToBase64String(_protector.Protect(plaintext));

    public byte[] UnprotectBytes(string protectedText)
    {
        try
        {
            return _protector.Unprotect(Convert.FromBase64String(protectedText));
        }
        catch (CryptographicException ex)
        {
            throw new InvalidOperationException("A stored certificate or token cache can no longer be decrypted (the Data Protection keys changed). Upload it or sign in again.", ex);
        }
    }
}
