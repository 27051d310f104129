using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Accounts;

/// <summary>Disabling an agent and resetting a password, never locking out the last enabled administrator.</summary>
internal sealed partial class Agents
{
    public async Task<AgentSummary?> SetDisabledAsync(string id, bool disabled, Actor actor, CancellationToken cancellationToken = default)
    {
        return await ChangeAsync<AgentSummary?>(id, null, async (users, db, user) =>
        {
            var roles = Ordered(await users.GetRolesAsync(user));
            var lockedOut = IsLockedOut(user);
            if (user.IsDisabled == disabled && (disabled || !lockedOut))
            {
                return ToSummary(user, roles);
            }

            if (disabled && roles.Contains(PortalRoles.Administrator) && !await AnotherEnabledAdministratorExistsAsync(db, user.Id, cancellationToken))
            {
                throw new ArgumentException(
                    $"{user.DisplayName} is the last enabled administrator and cannot be disabled: nobody could configure the portal any more. Make another agent an administrator first.",
                    "disabled");
            }

            var before = Snapshot(user, roles, lockedOut);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            user.IsDisabled = disabled;
            if (disabled)
            {
                // A new stamp makes every existing sign-in cookie fail its next validation (within a minute).
                ThrowIfFailed(await users.UpdateSecurityStampAsync(user), user.Email!);
            }
            else
            {
                ThrowIfFailed(await users.SetLockoutEndDateAsync(user, null), user.Email!);
                ThrowIfFailed(await users.ResetAccessFailedCountAsync(user), user.Email!);
                ThrowIfFailed(await users.UpdateAsync(user), user.Email!);
            }

            db.Audit(time, actor, disabled ? "Agent.Disabled" : "Agent.Enabled", "Agent", user.Id, before, Snapshot(user, roles, lockedOut: false));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            logger.LogInformation("{Actor} {Change} agent {Email}", actor, disabled ? "disabled" : "enabled", user.Email);
            return ToSummary(user, roles);
        }, cancellationToken);
    }

    public async Task<bool> ResetPasswordAsync(string id, string newPassword, Actor actor, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(newPassword))
        {
            throw new ArgumentException("Enter the new password: at least 10 characters with a digit and a lower-case letter.", "password");
        }

        return await ChangeAsync<bool>(id, false, async (users, db, user) =>
        {
            if (user.ExternalObjectId is not null && !await users.HasPasswordAsync(user))
            {
                throw new ArgumentException(
                    $"{user.DisplayName} signs in with Microsoft and has no portal password. Reset the password in Microsoft Entra ID instead.",
                    "password");
            }

            var roles = Ordered(await users.GetRolesAsync(user));
            var wasLockedOut = IsLockedOut(user);
            // Validate first: inside the transaction only plain writes on this connection may happen (a reset token would
            // need Data Protection, which may write a new key through another connection and deadlock on SQLite).
            foreach (var validator in users.PasswordValidators)
            {
                ThrowIfFailed(await validator.ValidateAsync(users, user, newPassword), user.Email!);
            }

            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (await users.HasPasswordAsync(user))
            {
                ThrowIfFailed(await users.RemovePasswordAsync(user), user.Email!);
            }

            // Adding the password also renews the security stamp, so existing sessions end.
            ThrowIfFailed(await users.AddPasswordAsync(user, newPassword), user.Email!);
            ThrowIfFailed(await users.SetLockoutEndDateAsync(user, null), user.Email!);
            ThrowIfFailed(await users.ResetAccessFailedCountAsync(user), user.Email!);
            db.Audit(time, actor, "Agent.PasswordReset", "Agent", user.Id,
                new { Agent = Snapshot(user, roles, wasLockedOut), PasswordReset = false },
                new { Agent = Snapshot(user, roles, lockedOut: false), PasswordReset = true });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            logger.LogInformation("{Actor} reset the password of agent {Email}", actor, user.Email);
            return true;
        }, cancellationToken);
    }

    internal static async Task<bool> AnotherEnabledAdministratorExistsAsync(PortalDbContext db, string userId, CancellationToken cancellationToken)
    {
        var normalized = PortalRoles.Administrator.ToUpperInvariant();
        return await (from userRole in db.UserRoles
                      join role in db.Roles on userRole.RoleId equals role.Id
                      join user in db.Users on userRole.UserId equals user.Id
                      where role.NormalizedName == normalized && user.Id != userId && !user.IsDisabled
                      select user.Id).AnyAsync(cancellationToken);
    }
}
