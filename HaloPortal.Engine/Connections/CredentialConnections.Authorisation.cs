using System.Security.Cryptography;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;

namespace HaloPortal.Engine.Connections;

/// <summary>Authorisation code: the sign-in round trip through Microsoft (state, PKCE, the code exchanged for the account's tokens).</summary>
internal sealed partial class CredentialConnections
{
    public async Task<Uri> BeginAuthorisationAsync(int credentialId, string redirectUri, string? returnUrl, Actor actor, CancellationToken cancellationToken = default)
    {
        var credential = await LoadAsync(credentialId, cancellationToken);
        if (credential.AuthMethod != AuthMethod.AuthorizationCode)
        {
            throw new ArgumentException("Only Authorisation code credentials sign in; use Test connection for client credentials.", nameof(credentialId));
        }

        var endpoints = authorities.For(credential.Authority);
        var app = applications.Build(credential, redirectUri);
        var state = Base64Url(RandomNumberGenerator.GetBytes(24));
        var scopes = RequiredPermissions.DelegatedScopes(endpoints, !string.IsNullOrWhiteSpace(credential.SharedMailbox), credential.ImportContacts);
        var url = await app.GetAuthorizationRequestUrl(scopes)
            .WithPkce(out var verifier)
            .WithPrompt(Prompt.SelectAccount)
            .WithExtraQueryParameters(new Dictionary<string, (string, bool)> { ["state"] = (state, false) })
            .ExecuteAsync(cancellationToken);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var expired = now - PendingLifetime;
        await db.Set<PendingAuthorisation>().Where(p => p.CreatedAt < expired).ExecuteDeleteAsync(cancellationToken);
        db.Add(new PendingAuthorisation
        {
            State = state,
            CredentialId = credentialId,
            CodeVerifierProtected = secrets.Protect(verifier),
            RedirectUri = redirectUri,
            ReturnUrl = returnUrl,
            StartedBy = actor.ToString(),
            CreatedAt = now,
        });
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Credential {CredentialId}: sign-in started by {Actor}", credentialId, actor);
        return browserUrls.ForBrowser(url);
    }

    public async Task<AuthorisationResult> CompleteAuthorisationAsync(string? state, string? code, string? error, string? errorDescription, Actor completedBy, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(state))
        {
            return new AuthorisationResult(false, null, null, null, KnownErrors.Unknown("MissingState",
                "The sign-in answer carried no state, so it cannot be matched to a credential. Start the sign-in again from the credential."));
        }

        PendingAuthorisation? pending;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            pending = await db.Set<PendingAuthorisation>().SingleOrDefaultAsync(p => p.State == state, cancellationToken);
            if (pending is not null)
            {
                db.Remove(pending); // single use
                await db.SaveChangesAsync(cancellationToken);
            }
        }

        if (pending is null || time.GetUtcNow() - pending.CreatedAt > PendingLifetime)
        {
            return new AuthorisationResult(false, pending?.CredentialId, null, pending?.ReturnUrl, KnownErrors.Unknown("StaleSignIn",
                "This sign-in answer is unknown or older than 15 minutes. Start the sign-in again from the credential."));
        }

        // The state ties the answer to the browser session that asked: a link carrying someone else's state and code (login CSRF)
        // would otherwise connect a mailbox of the attacker's choosing under this administrator's name.
        if (completedBy.Kind != ActorKind.User || !string.Equals(pending.StartedBy, completedBy.ToString(), StringComparison.Ordinal))
        {
            logger.LogWarning("Credential {CredentialId}: refused a sign-in answer brought back by {Actor}; {StartedBy} started that sign-in", pending.CredentialId, completedBy, pending.StartedBy);
            return new AuthorisationResult(false, null, null, null, KnownErrors.Unknown(AuthorisationResult.StartedByAnotherUser,
                "This sign-in answer belongs to a sign-in that another person started, so nothing was connected. Open the credential and choose Authorize / Sign in yourself."));
        }

        var credential = await LoadAsync(pending.CredentialId, cancellationToken);
        if (!string.IsNullOrEmpty(error))
        {
            var known = KnownErrors.FromTokenError(error, errorDescription);
            await RecordAsync(credential.Id, CredentialStatus.NotConnected, known, null, null, cancellationToken);
            return new AuthorisationResult(false, credential.Id, credential.MailboxId, pending.ReturnUrl, known);
        }

        try
        {
            var endpoints = authorities.For(credential.Authority);
            var app = applications.Build(credential, pending.RedirectUri);
            tokens.BindTokenCache(app, credential.Id);
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                // A new sign-in replaces the old grant entirely.
                await db.Set<MailboxCredential>().Where(c => c.Id == credential.Id)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.TokenCacheProtected, (string?)null).SetProperty(c => c.HomeAccountId, (string?)null), cancellationToken);
            }

            var scopes = RequiredPermissions.DelegatedScopes(endpoints, !string.IsNullOrWhiteSpace(credential.SharedMailbox), credential.ImportContacts);
            var result = await app.AcquireTokenByAuthorizationCode(scopes, code ?? "")
                .WithPkceCodeVerifier(secrets.Unprotect(pending.CodeVerifierProtected))
                .ExecuteAsync(cancellationToken);

            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                await db.Set<MailboxCredential>().Where(c => c.Id == credential.Id)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.HomeAccountId, result.Account.HomeAccountId.Identifier), cancellationToken);
            }

            credential.HomeAccountId = result.Account.HomeAccountId.Identifier;
            var steps = new List<string> { $"Signed in as {result.Account.Username}." };
            var probe = await ProbeAsync(credential, steps, forceRefresh: false, cancellationToken);
            await RecordAsync(credential.Id, CredentialStatus.Connected, null, probe.Address, probe.DisplayName, cancellationToken);
            await AuditAsync(credential.Id, "Credential.Authorised", new { SignedInAs = result.Account.Username, Mailbox = probe.Address }, cancellationToken);
            return new AuthorisationResult(true, credential.Id, credential.MailboxId, pending.ReturnUrl, null);
        }
        catch (MsalServiceException ex)
        {
            var known = KnownErrors.FromTokenError(ex.ErrorCode, ex.Message);
            await RecordAsync(credential.Id, CredentialStatus.NotConnected, known, null, null, cancellationToken);
            return new AuthorisationResult(false, credential.Id, credential.MailboxId, pending.ReturnUrl, known);
        }
        catch (CredentialException ex)
        {
            // Signed in, but the mailbox check failed (e.g. no Full Access to the shared mailbox): keep the grant, refuse to process.
            await RecordAsync(credential.Id, StatusFor(ex.Error), ex.Error, null, null, cancellationToken);
            return new AuthorisationResult(false, credential.Id, credential.MailboxId, pending.ReturnUrl, ex.Error);
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
