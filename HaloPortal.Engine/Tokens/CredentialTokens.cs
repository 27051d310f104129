using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;

namespace HaloPortal.Engine.Tokens;

/// <summary>Access tokens for a credential: client credentials, or the delegated grant with its rotating refresh token saved every time.</summary>
internal interface ICredentialTokens
{
    /// <summary>An access token for Graph. Throws <see cref="CredentialException"/> with the catalogued error on failure.</summary>
    Task<string> GetAccessTokenAsync(MailboxCredential credential, bool forceRefresh = false, CancellationToken cancellationToken = default);
}

internal sealed class CredentialTokens(
    MsalApplications applications,
    IAuthorities authorities,
    IDbContextFactory<PortalDbContext> contexts,
    ICredentialSecrets secrets,
    ILogger<CredentialTokens> logger) : ICredentialTokens
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IConfidentialClientApplication> _clientApps = new();

    public async Task<string> GetAccessTokenAsync(MailboxCredential credential, bool forceRefresh = false, CancellationToken cancellationToken = default) =>
        (await AcquireAsync(credential, forceRefresh, cancellationToken)).AccessToken;

    /// <summary>The whole MSAL result: the delegated account (who signed in) comes with the token.</summary>
    internal async Task<AuthenticationResult> AcquireAsync(MailboxCredential credential, bool forceRefresh, CancellationToken cancellationToken)
    {
        var endpoints = authorities.For(credential.Authority);
        try
        {
            if (credential.AuthMethod == AuthMethod.ClientCredentials)
            {
                // One MSAL client per credential version: building one per Graph request would cost more than the request.
                var key = $"{credential.Id}|{credential.Authority}|{credential.TenantId}|{credential.ClientId}|{credential.CredentialType}|" +
                          $"{credential.ClientSecretProtected?.GetHashCode()}|{credential.CertificateThumbprint}|{credential.FederatedTokenFile}";
                var app = _clientApps.GetOrAdd(key, _ => applications.Build(credential));
                var result = await app.AcquireTokenForClient([endpoints.DefaultScope])
                    .WithForceRefresh(forceRefresh)
                    .ExecuteAsync(cancellationToken);
                return result;
            }

            if (credential.HomeAccountId is null)
            {
                throw new CredentialException(KnownErrors.Find("invalid_grant")! with
                {
                    Code = "NotAuthorised",
                    Title = "Not signed in yet",
                    Message = "Nobody has signed in for this credential yet.",
                    Fix = "Click Authorize / Sign in and sign in with the mailbox account.",
                });
            }

            var delegated = applications.Build(credential);
            BindTokenCache(delegated, credential.Id);
            var account = await delegated.GetAccountAsync(credential.HomeAccountId)
                ?? throw new MsalUiRequiredException("no_account", "The saved sign-in is missing from the token cache.");
            var scopes = RequiredPermissions.DelegatedScopes(endpoints, !string.IsNullOrWhiteSpace(credential.SharedMailbox), credential.ImportContacts);
            try
            {
                return await delegated.AcquireTokenSilent(scopes, account).WithForceRefresh(forceRefresh).ExecuteAsync(cancellationToken);
            }
            catch (MsalUiRequiredException)
            {
                // The grant is dead (revoked, expired): forget its tokens too. A still-cached access token would otherwise let the
                // next scan succeed for up to an hour and flip the credential back to Connected until it expires.
                await delegated.RemoveAsync(account);
                throw;
            }
        }
        catch (MsalUiRequiredException ex)
        {
            logger.LogWarning("Credential {CredentialId}: the delegated grant needs re-authorisation ({Error})", credential.Id, ex.ErrorCode);
            throw new CredentialException(KnownErrors.FromTokenError(ex.ErrorCode, ex.Message) is { Kind: ErrorKind.Reauthorise } e
                ? e
                : KnownErrors.Find("invalid_grant")!, ex);
        }
        catch (MsalServiceException ex)
        {
            var error = KnownErrors.FromTokenError(ex.ErrorCode, ex.Message, ErrorCodes(ex));
            logger.LogWarning("Credential {CredentialId}: token request failed with {Code} ({Status})", credential.Id, error.Code, ex.StatusCode);
            throw new CredentialException(error, ex);
        }
        catch (MsalClientException ex)
        {
            logger.LogWarning("Credential {CredentialId}: MSAL refused the request: {Error}", credential.Id, ex.ErrorCode);
            throw new CredentialException(KnownErrors.Unknown(ex.ErrorCode, ex.Message), ex);
        }
        catch (HttpRequestException ex)
        {
            throw new CredentialException(KnownErrors.Find("ServiceUnavailable")! with { Message = $"The sign-in service could not be reached: {ex.Message}" }, ex);
        }
        catch (InvalidOperationException ex)
        {
            // Local set-up problems (a secret that no longer decrypts, a sandbox with no known address): shown, never a stack trace.
            throw new CredentialException(KnownErrors.Unknown("CredentialSetup", ex.Message), ex);
        }
    }

    /// <summary>Loads the credential's encrypted MSAL cache before each access and saves it after every change (rotated refresh tokens included).</summary>
    internal void BindTokenCache(IConfidentialClientApplication app, int credentialId)
    {
        app.UserTokenCache.SetBeforeAccessAsync(async args =>
        {
            await using var db = await contexts.CreateDbContextAsync();
            var stored = await db.Set<MailboxCredential>().Where(c => c.Id == credentialId).Select(c => c.TokenCacheProtected).SingleOrDefaultAsync();
            byte[]? cache = null;
            try
            {
                cache = stored is null ? null : secrets.UnprotectBytes(stored);
            }
            catch (CredentialException ex) when (ex.Error.Code == KnownErrors.SecretUnreadable)
            {
                // Only a new sign-in can replace a sign-in that cannot be read.
                throw new CredentialException(ex.Error with { Message = "The saved sign-in can no longer be read — sign in again.", Kind = ErrorKind.Reauthorise }, ex);
            }

            args.TokenCache.DeserializeMsalV3(cache);
        });
        app.UserTokenCache.SetAfterAccessAsync(async args =>
        {
            if (!args.HasStateChanged)
            {
                return;
            }

            var blob = secrets.ProtectBytes(args.TokenCache.SerializeMsalV3());
            await using var db = await contexts.CreateDbContextAsync();
            await db.Set<MailboxCredential>().Where(c => c.Id == credentialId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.TokenCacheProtected, blob));
        });
    }

    private static IEnumerable<long> ErrorCodes(MsalServiceException ex)
    {
        if (string.IsNullOrEmpty(ex.ResponseBody))
        {
            return [];
        }

        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(ex.ResponseBody);
            return doc.RootElement.TryGetProperty("error_codes", out var codes) && codes.ValueKind == System.Text.Json.JsonValueKind.Array
                ? codes.EnumerateArray().Where(c => c.ValueKind == System.Text.Json.JsonValueKind.Number).Select(c => c.GetInt64()).ToList()
                : [];
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }
}
