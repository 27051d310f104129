using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Accounts;

/// <summary>Who Microsoft says signed in: the Entra object id, an address, a name and the app-role claim values.</summary>
public sealed record ExternalAccount(string? ObjectId, string? Email, string? DisplayName, IReadOnlyCollection<string> RoleClaims);

/// <summary>Why a Microsoft sign-in was refused.</summary>
public enum ExternalSignInFailure
{
    /// <summary>The token carried no object id or no address.</summary>
    MissingIdentity,

    /// <summary>None of the app roles Administrator, Agent or Support is assigned to the person.</summary>
    NoRole,

    /// <summary>The matching portal account is disabled.</summary>
    Disabled,

    /// <summary>The address belongs to a portal account linked to another Microsoft account.</summary>
    LinkedToAnotherAccount,

    /// <summary>The address belongs to a local (password) account, which is never linked to Microsoft by its address alone.</summary>
    LocalAccountNotLinked,

    /// <summary>The address cannot be used as a portal sign-in name.</summary>
    InvalidAccount,
}

/// <summary>The outcome of matching a Microsoft sign-in to a portal account.</summary>
public sealed record ExternalSignInResult(string? UserId, ExternalSignInFailure? Failure)
{
    public bool Succeeded => UserId is not null;

    public static ExternalSignInResult Refused(ExternalSignInFailure failure) => new(null, failure);
}

/// <summary>
/// Finds (by Entra object id only) or creates the portal account of a person who signed in with Microsoft, and syncs their roles
/// from the app roles. An existing local account with the same address is never taken over.
/// </summary>
public interface IExternalAccounts
{
    Task<ExternalSignInResult> ResolveAsync(ExternalAccount account, CancellationToken cancellationToken = default);
}

internal sealed class ExternalAccounts(IServiceScopeFactory scopes, TimeProvider time, ILogger<ExternalAccounts> logger) : IExternalAccounts
{
    private static readonly Actor MicrosoftSignIn = new(ActorKind.System, "Microsoft sign-in");
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<ExternalSignInResult> ResolveAsync(ExternalAccount account, CancellationToken cancellationToken = default)
    {
        var objectId = account.ObjectId?.Trim();
        var email = account.Email?.Trim();
        if (string.IsNullOrEmpty(objectId) || string.IsNullOrEmpty(email))
        {
            return ExternalSignInResult.Refused(ExternalSignInFailure.MissingIdentity);
        }

        var roles = ExternalRoleMapper.Map(account.RoleClaims);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            // The object id is the only identity: an address (email or preferred_username) can be given to someone else, so a
            // sign-in never takes over an existing account because the addresses match.
            var user = await users.Users.SingleOrDefaultAsync(u => u.ExternalObjectId == objectId, cancellationToken);
            if (user is null && await users.FindByEmailAsync(email) is { } sameAddress)
            {
                if (sameAddress.ExternalObjectId is not null)
                {
                    logger.LogWarning("Refused a Microsoft sign-in for {Email}: that account is linked to another Microsoft account", email);
                    return ExternalSignInResult.Refused(ExternalSignInFailure.LinkedToAnotherAccount);
                }

                logger.LogWarning(
                    "Refused a Microsoft sign-in for {Email}: a local account with that address exists and is not linked to this Microsoft account (object id {ObjectId}); "
                    + "it keeps signing in with its password", email, objectId);
                return ExternalSignInResult.Refused(ExternalSignInFailure.LocalAccountNotLinked);
            }

            if (user is { IsDisabled: true })
            {
                return ExternalSignInResult.Refused(ExternalSignInFailure.Disabled);
            }

            if (roles.Count == 0)
            {
                return ExternalSignInResult.Refused(ExternalSignInFailure.NoRole);
            }

            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            try
            {
                if (user is null)
                {
                    user = new PortalUser
                    {
                        UserName = email,
                        Email = email,
                        DisplayName = string.IsNullOrWhiteSpace(account.DisplayName) ? email : account.DisplayName.Trim(),
                        EmailConfirmed = true,
                        CreatedAt = time.GetUtcNow(),
                        ExternalObjectId = objectId,
                    };
                    Agents.ThrowIfFailed(await users.CreateAsync(user), email);
                    Agents.ThrowIfFailed(await users.AddToRolesAsync(user, roles), email);
                    db.Audit(time, MicrosoftSignIn, "Agent.CreatedFromMicrosoft", "Agent", user.Id, null, Agents.Snapshot(user, roles));
                }
                else
                {
                    var current = Agents.Ordered(await users.GetRolesAsync(user));
                    var before = Agents.Snapshot(user, current);
                    Agents.ThrowIfFailed(await users.UpdateAsync(user), email);
                    var removed = current.Except(roles).ToList();
                    var added = roles.Except(current).ToList();
                    if (removed.Count > 0)
                    {
                        Agents.ThrowIfFailed(await users.RemoveFromRolesAsync(user, removed), email);
                    }

                    if (added.Count > 0)
                    {
                        Agents.ThrowIfFailed(await users.AddToRolesAsync(user, added), email);
                    }

                    var after = Agents.Snapshot(user, roles);
                    if (before != after)
                    {
                        // Entra ID is the source of truth for the roles of Microsoft accounts: its app-role assignments win.
                        db.Audit(time, MicrosoftSignIn, "Agent.SyncedFromMicrosoft", "Agent", user.Id, before, after);
                    }
                }
            }
            catch (ArgumentException ex)
            {
                logger.LogWarning("Refused a Microsoft sign-in for {Email}: {Reason}", email, ex.Message);
                return ExternalSignInResult.Refused(ExternalSignInFailure.InvalidAccount);
            }

            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new ExternalSignInResult(user.Id, null);
        }
        finally
        {
            _gate.Release();
        }
    }
}
