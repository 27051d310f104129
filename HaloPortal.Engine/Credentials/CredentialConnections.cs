using System.Security.Cryptography;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Tokens;
using HaloPortal.Engine.Mailboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;

namespace HaloPortal.Engine.Credentials;

/// <summary>The outcome of testing a credential: the mailbox reached, or the catalogued error with its fix.</summary>
public sealed record ConnectionTestResult(bool Ok, string? Address, string? DisplayName, int? InboxItems, KnownError? Error, IReadOnlyList<string> Steps);

/// <summary>The result of the sign-in redirect.</summary>
public sealed record AuthorisationResult(bool Ok, int? CredentialId, int? MailboxId, string? ReturnUrl, KnownError? Error)
{
    /// <summary>The error code of a sign-in answer brought back by someone other than the person who started the sign-in.</summary>
    public const string StartedByAnotherUser = "SignInStartedByAnotherUser";
}

/// <summary>Connecting credentials: test (client credentials), sign in with PKCE (authorisation code), disconnect.</summary>
public interface ICredentialConnections
{
    /// <summary>Gets a token and makes the Graph calls the engine will make on the mailbox, and records the outcome on the credential.</summary>
    Task<ConnectionTestResult> TestAsync(int credentialId, CancellationToken cancellationToken = default);

    /// <summary>Starts the authorisation-code sign-in; returns the address to send the browser to.</summary>
    Task<Uri> BeginAuthorisationAsync(int credentialId, string redirectUri, string? returnUrl, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes the sign-in from the redirect's query (state, code or error). A state is good for one answer within 15 minutes, and
    /// only for the person who started it (<paramref name="completedBy"/> must be the actor given to <see cref="BeginAuthorisationAsync"/>):
    /// otherwise nothing is connected and the error's code is <see cref="AuthorisationResult.StartedByAnotherUser"/> (no credential is named).
    /// </summary>
    Task<AuthorisationResult> CompleteAuthorisationAsync(string? state, string? code, string? error, string? errorDescription, Actor completedBy, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops reading the mailbox and unlocks the credential's values: forgets the sign-in (authorisation code) and what the last
    /// test verified, and removes the webhook subscription. A client-credentials secret is kept: Test connection connects again.
    /// </summary>
    Task DisconnectAsync(int credentialId, Actor actor, CancellationToken cancellationToken = default);

    /// <summary>Records the credential as connected to <paramref name="address"/> without asking Graph: for credentials whose connection is
    /// known when they are created (the sandbox demo mailbox). Its next real Graph call replaces this.</summary>
    Task MarkConnectedAsync(int credentialId, string address, string? displayName, CancellationToken cancellationToken = default);
}

internal sealed class CredentialConnections(
    IDbContextFactory<PortalDbContext> contexts,
    MsalApplications applications,
    IAuthorities authorities,
    CredentialTokens tokens,
    IGraphClients graph,
    ICredentialSecrets secrets,
    IBrowserUrls browserUrls,
    TimeProvider time,
    MailboxService mailboxes,
    ILogger<CredentialConnections> logger,
    Notifications.EngineProblems problems,
    CredentialRetirements retirements) : ICredentialConnections
{
    private static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(15);

    public async Task<ConnectionTestResult> TestAsync(int credentialId, CancellationToken cancellationToken = default)
    {
        var credential = await LoadAsync(credentialId, cancellationToken);
        var steps = new List<string>();
        try
        {
            var probe = await ProbeAsync(credential, steps, forceRefresh: true, cancellationToken);
            await RecordAsync(credentialId, CredentialStatus.Connected, null, probe.Address, probe.DisplayName, cancellationToken);
            return new ConnectionTestResult(true, probe.Address, probe.DisplayName, probe.InboxItems, null, steps);
        }
        catch (CredentialException ex)
        {
            steps.Add($"Failed: {ex.Error.Title}.");
            await RecordAsync(credentialId, StatusFor(ex.Error), ex.Error, null, null, cancellationToken);
            return new ConnectionTestResult(false, null, null, null, ex.Error, steps);
        }
    }

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

    public async Task DisconnectAsync(int credentialId, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var credential = await db.Set<MailboxCredential>().SingleOrDefaultAsync(c => c.Id == credentialId, cancellationToken)
            ?? throw new KeyNotFoundException($"Credential {credentialId} does not exist.");
        await retirements.RetiringAsync(credentialId, "disconnected", actor, cancellationToken);

        var before = CredentialView.AuditSnapshot(credential);
        credential.HomeAccountId = null;
        credential.TokenCacheProtected = null;
        credential.ForgetConnection();
        credential.DisconnectedAt = time.GetUtcNow();
        credential.UpdatedAt = credential.DisconnectedAt;
        db.Audit(time, actor, "Credential.Disconnected", "MailboxCredential", credentialId.ToString(), before, CredentialView.AuditSnapshot(credential));
        await db.SaveChangesAsync(cancellationToken);
        mailboxes.RaiseChanged(credential.MailboxId);
    }

    private sealed record Probe(string Address, string? DisplayName, int? InboxItems);

    /// <summary>
    /// The calls the engine makes on the mailbox: token, the mailbox owner, its type, its inbox, one message. Only the
    /// permissions the Required permissions panel lists are assumed: lookups that need more (the owner's directory entry,
    /// the mailbox's settings) are used when granted and skipped otherwise — the mail calls prove access either way.
    /// </summary>
    private async Task<Probe> ProbeAsync(MailboxCredential credential, List<string> steps, bool forceRefresh, CancellationToken cancellationToken)
    {
        var token = await tokens.AcquireAsync(credential, forceRefresh, cancellationToken);
        steps.Add("Got an access token from " + authorities.For(credential.Authority).DisplayName + ".");
        var client = graph.For(credential);

        string address;
        string? displayName;
        if (credential.AuthMethod == AuthMethod.ClientCredentials)
        {
            var target = credential.EmailAddress!;
            address = target;
            displayName = null;
            var user = await OptionalAsync(() => client.Users[target].GetAsync(r => r.QueryParameters.Select = ["id", "displayName", "mail", "userPrincipalName"], cancellationToken));
            if (user is null)
            {
                steps.Add("Skipped looking up the mailbox owner (the app has no directory permission, which is not required).");
            }
            else
            {
                if (!string.Equals(user.UserPrincipalName, target, StringComparison.OrdinalIgnoreCase))
                {
                    throw new CredentialException(KnownErrors.Find("UpnMismatch")! with
                    {
                        Message = $"The mailbox {target} belongs to the user {user.UserPrincipalName}, whose UPN differs from the address.",
                    });
                }

                address = user.Mail ?? target;
                displayName = user.DisplayName;
                steps.Add($"Found the mailbox owner {displayName} <{user.UserPrincipalName}>.");
            }
        }
        else
        {
            // /me needs User.Read, which the delegated permission list does not require: the signed-in account is known from the sign-in itself.
            var me = await OptionalAsync(() => client.Me.GetAsync(r => r.QueryParameters.Select = ["id", "displayName", "mail", "userPrincipalName"], cancellationToken));
            address = me?.Mail ?? me?.UserPrincipalName ?? token.Account?.Username ?? "";
            displayName = me?.DisplayName ?? token.ClaimsPrincipal?.FindFirst("name")?.Value;
            steps.Add($"Signed-in account: {displayName} <{address}>.");
            if (!string.IsNullOrWhiteSpace(credential.SharedMailbox))
            {
                try
                {
                    await GraphCall.RunAsync(() => client.Users[credential.SharedMailbox].MailFolders["inbox"].GetAsync(cancellationToken: cancellationToken));
                }
                catch (CredentialException ex) when (ex.Error.Kind is ErrorKind.Permission or ErrorKind.Configuration)
                {
                    throw new CredentialException(KnownErrors.Find("SharedMailboxNotDelegated")! with
                    {
                        Message = $"{address} cannot open the shared mailbox {credential.SharedMailbox} ({ex.Error.Title}). The portal will not fall back to {address}'s own inbox.",
                    }, ex);
                }

                steps.Add($"{address} has access to the shared mailbox {credential.SharedMailbox}.");
                address = credential.SharedMailbox;
                displayName = credential.SharedMailbox;
            }
        }

        var mailbox = credential.AuthMethod == AuthMethod.ClientCredentials || !string.IsNullOrWhiteSpace(credential.SharedMailbox)
            ? client.Users[address]
            : null;
        if (mailbox is not null)
        {
            await CheckMailboxTypeAsync(mailbox, address, steps, cancellationToken);
        }

        var inbox = mailbox is not null
            ? await GraphCall.RunAsync(() => mailbox.MailFolders["inbox"].GetAsync(cancellationToken: cancellationToken))
            : await GraphCall.RunAsync(() => client.Me.MailFolders["inbox"].GetAsync(cancellationToken: cancellationToken));
        steps.Add($"Opened the inbox ({inbox?.TotalItemCount ?? 0} messages, {inbox?.UnreadItemCount ?? 0} unread).");

        if (mailbox is not null)
        {
            await GraphCall.RunAsync(() => mailbox.MailFolders["inbox"].Messages.GetAsync(r => { r.QueryParameters.Top = 1; r.QueryParameters.Select = ["id"]; }, cancellationToken));
        }
        else
        {
            await GraphCall.RunAsync(() => client.Me.MailFolders["inbox"].Messages.GetAsync(r => { r.QueryParameters.Top = 1; r.QueryParameters.Select = ["id"]; }, cancellationToken));
        }

        steps.Add("Read the newest message's id: the engine can process this mailbox.");
        return new Probe(address, displayName, inbox?.TotalItemCount);
    }

    /// <summary>Room and equipment mailboxes answer mail calls like any other, so their purpose is read from the mailbox settings (when permitted).</summary>
    private static async Task CheckMailboxTypeAsync(Microsoft.Graph.Users.Item.UserItemRequestBuilder mailbox, string address, List<string> steps, CancellationToken cancellationToken)
    {
        var settings = await OptionalAsync(() => mailbox.MailboxSettings.GetAsync(cancellationToken: cancellationToken));
        var purpose = settings?.UserPurpose;
        if (purpose is Microsoft.Graph.Models.UserPurpose.Room or Microsoft.Graph.Models.UserPurpose.Equipment)
        {
            var kind = purpose == Microsoft.Graph.Models.UserPurpose.Room ? "room" : "equipment";
            throw new CredentialException(KnownErrors.Find("MailboxNotEnabledForRESTAPI")! with
            {
                Message = $"{address} is a {kind} mailbox, which is not supported: only licensed and shared mailboxes can be connected.",
            });
        }

        steps.Add(settings is null
            ? "Skipped checking the mailbox type (the app may not read mailbox settings, which is not required)."
            : $"The mailbox is a {(purpose == Microsoft.Graph.Models.UserPurpose.Shared ? "shared" : "licensed user")} mailbox.");
    }

    /// <summary>A lookup that needs a permission beyond the required ones: null when Graph refuses it for lack of permission.</summary>
    private static async Task<T?> OptionalAsync<T>(Func<Task<T?>> call)
        where T : class
    {
        try
        {
            return await GraphCall.RunAsync(call);
        }
        catch (CredentialException ex) when (ex.Error.Kind == ErrorKind.Permission)
        {
            return null;
        }
    }

    private static CredentialStatus StatusFor(KnownError error) => error.Kind switch
    {
        ErrorKind.Reauthorise => CredentialStatus.NeedsReauthorisation,
        _ => CredentialStatus.Failing,
    };

    public async Task MarkConnectedAsync(int credentialId, string address, string? displayName, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var credential = await db.Set<MailboxCredential>().SingleOrDefaultAsync(c => c.Id == credentialId, cancellationToken)
            ?? throw new KeyNotFoundException($"Credential {credentialId} does not exist.");
        credential.Status = CredentialStatus.Connected;
        credential.ConnectedAddress = address;
        credential.ConnectedDisplayName = displayName;
        credential.ConnectedAt ??= time.GetUtcNow();
        credential.DisconnectedAt = null;
        await db.SaveChangesAsync(cancellationToken);
        mailboxes.RaiseChanged(credential.MailboxId);
    }

    private async Task RecordAsync(int credentialId, CredentialStatus status, KnownError? error, string? address, string? displayName, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var credential = await db.Set<MailboxCredential>().SingleAsync(c => c.Id == credentialId, cancellationToken);
        var now = time.GetUtcNow();
        credential.LastCheckedAt = now;
        if (error is null)
        {
            credential.Status = status;
            credential.ConnectedAddress = address;
            credential.ConnectedDisplayName = displayName;
            credential.ConnectedAt ??= now;
            credential.DisconnectedAt = null;
            credential.LastErrorCode = null;
            credential.LastErrorMessage = null;
            credential.LastErrorAt = null;
        }
        else
        {
            credential.Status = credential.Status == CredentialStatus.NotConnected && status == CredentialStatus.Failing && credential.HomeAccountId is null && credential.AuthMethod == AuthMethod.AuthorizationCode
                ? CredentialStatus.NotConnected
                : status;
            if (credential.AuthMethod == AuthMethod.ClientCredentials && status == CredentialStatus.Failing && credential.ConnectedAt is null)
            {
                credential.Status = CredentialStatus.NotConnected;
            }

            credential.LastErrorCode = error.Code;
            credential.LastErrorMessage = error.Message;
            credential.LastErrorAt = now;
        }

        await db.SaveChangesAsync(cancellationToken);
        mailboxes.RaiseChanged(credential.MailboxId);
        await problems.CredentialStatusChangedAsync(credentialId, cancellationToken);
    }

    private async Task AuditAsync(int credentialId, string action, object after, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Audit(time, Actor.System, action, "MailboxCredential", credentialId.ToString(), null, after);
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task<MailboxCredential> LoadAsync(int credentialId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<MailboxCredential>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == credentialId, cancellationToken)
            ?? throw new KeyNotFoundException($"Credential {credentialId} does not exist.");
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
