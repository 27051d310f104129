using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Credentials;

/// <summary>
/// At start-up, finds this instance's credentials that cannot work whatever Microsoft answers: a stored secret, certificate or sign-in
/// that can no longer be decrypted, or an authority this portal refuses (the Sandbox while the sandbox is off). Each shows its error on the credential and
/// raises its problem once; nothing else is stopped.
/// </summary>
internal sealed class UnusableCredentials(
    IDbContextFactory<PortalDbContext> contexts,
    ICredentialSecrets secrets,
    IOptions<PortalOptions> portal,
    IAuthorities authorities,
    ICredentialOwners owners,
    IEnumerable<ICredentialStatusObserver> statusObservers,
    TimeProvider time,
    ILogger<UnusableCredentials> logger) : IStartupTask
{
    public int Order => 80; // after the demo seeders

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        List<MailboxCredential> credentials;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            credentials = await db.Set<MailboxCredential>().AsNoTracking().Where(c => c.Instance == portal.Value.Instance).ToListAsync(cancellationToken);
        }

        foreach (var credential in credentials)
        {
            var error = ProblemOf(credential);
            if (error is null || credential.LastErrorCode == error.Code)
            {
                continue;
            }

            logger.LogWarning("Credential {CredentialId} cannot be used: {Code}", credential.Id, error.Code);
            await RecordAsync(credential.Id, error, cancellationToken);
        }
    }

    private KnownError? ProblemOf(MailboxCredential credential)
    {
        if (authorities.RefusalOf(credential.Authority) is { } refusal)
        {
            return refusal.Error;
        }

        try
        {
            if (credential.CredentialType == CredentialType.ClientSecret && credential.ClientSecretProtected is { } secret)
            {
                secrets.Unprotect(secret);
            }

            if (credential.CredentialType == CredentialType.Certificate && credential.CertificateProtected is { } certificate)
            {
                secrets.UnprotectBytes(certificate);
            }

        }
        catch (CredentialException ex)
        {
            return ex.Error;
        }

        try
        {
            if (credential.TokenCacheProtected is { } cache)
            {
                secrets.UnprotectBytes(cache);
            }

            return null;
        }
        catch (CredentialException ex)
        {
            return ex.Error with { Message = "The saved sign-in can no longer be read — sign in again.", Kind = ErrorKind.Reauthorise };
        }
    }

    private async Task RecordAsync(int credentialId, KnownError error, CancellationToken cancellationToken)
    {
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var credential = await db.Set<MailboxCredential>().SingleAsync(c => c.Id == credentialId, cancellationToken);
            if (credential.Status != CredentialStatus.NotConnected)
            {
                credential.Status = error.Kind == ErrorKind.Reauthorise ? CredentialStatus.NeedsReauthorisation : CredentialStatus.Failing;
            }

            credential.LastErrorCode = error.Code;
            credential.LastErrorMessage = error.Message;
            credential.LastErrorAt = time.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
            owners.CredentialsChanged(credential.MailboxId);
        }

        foreach (var observer in statusObservers)
        {
            await observer.CredentialStatusChangedAsync(credentialId, cancellationToken);
        }
    }
}
