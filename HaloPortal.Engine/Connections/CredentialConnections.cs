using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Connections;

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

internal sealed partial class CredentialConnections(
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
    IEnumerable<ICredentialStatusObserver> statusObservers,
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
        foreach (var observer in statusObservers)
        {
            await observer.CredentialStatusChangedAsync(credentialId, cancellationToken);
        }
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
}
