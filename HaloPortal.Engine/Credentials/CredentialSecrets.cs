using System.Security.Cryptography;
using HaloPortal.Engine.Errors;
using Microsoft.AspNetCore.DataProtection;

namespace HaloPortal.Engine.Credentials;

/// <summary>Encrypts credential secrets, certificates and token caches at rest (ASP.NET Core Data Protection).</summary>
internal interface ICredentialSecrets
{
    string Protect(string plaintext);

    /// <exception cref="CredentialException">The value cannot be decrypted any more (<see cref="KnownErrors.SecretUnreadable"/>).</exception>
    string Unprotect(string protectedText);

    string ProtectBytes(byte[] plaintext);

    /// <exception cref="CredentialException">The value cannot be decrypted any more (<see cref="KnownErrors.SecretUnreadable"/>).</exception>
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
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            throw new CredentialException(KnownErrors.Find(KnownErrors.SecretUnreadable)!, ex);
        }
    }

    public string ProtectBytes(byte[] plaintext) => Convert.ToBase64String(_protector.Protect(plaintext));

    public byte[] UnprotectBytes(string protectedText)
    {
        try
        {
            return _protector.Unprotect(Convert.FromBase64String(protectedText));
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            throw new CredentialException(KnownErrors.Find(KnownErrors.SecretUnreadable)!, ex);
        }
    }
}
