using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Accounts;

/// <summary>First-run: is there anybody yet, and creating the first administrator (once, and only then).</summary>
public interface IFirstRunSetup
{
    Task<bool> NeedsFirstAdministratorAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates the first administrator; fails when any account already exists.</summary>
    Task<IdentityResult> CreateFirstAdministratorAsync(string email, string displayName, string password, CancellationToken cancellationToken = default);
}

internal sealed class FirstRunSetup(IServiceScopeFactory scopes, IDbContextFactory<PortalDbContext> contexts, TimeProvider time, ILogger<FirstRunSetup> logger) : IFirstRunSetup
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private volatile bool _hasUsers;

    public async Task<bool> NeedsFirstAdministratorAsync(CancellationToken cancellationToken = default)
    {
        if (_hasUsers)
        {
            return false;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        _hasUsers = await db.Users.AnyAsync(cancellationToken);
        return !_hasUsers;
    }

    public async Task<IdentityResult> CreateFirstAdministratorAsync(string email, string displayName, string password, CancellationToken cancellationToken = default)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (!await NeedsFirstAdministratorAsync(cancellationToken))
            {
                return IdentityResult.Failed(new IdentityError { Code = "AlreadySetUp", Description = "The first administrator already exists. Sign in instead." });
            }

            await using var scope = scopes.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var user = new PortalUser
            {
                UserName = email.Trim(),
                Email = email.Trim(),
                DisplayName = string.IsNullOrWhiteSpace(displayName) ? email.Trim() : displayName.Trim(),
                EmailConfirmed = true,
                CreatedAt = time.GetUtcNow(),
            };
            var result = await users.CreateAsync(user, password);
            if (!result.Succeeded)
            {
                return result;
            }

            result = await users.AddToRoleAsync(user, PortalRoles.Administrator);
            if (result.Succeeded)
            {
                _hasUsers = true;
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                db.Audit(time, Actor.User(user.UserName!), "Agent.FirstAdministratorCreated", "Agent", user.Id, null, new { user.Email, user.DisplayName, Roles = new[] { PortalRoles.Administrator } });
                await db.SaveChangesAsync(cancellationToken);
                logger.LogInformation("Created the first administrator {Email}", user.Email);
            }

            return result;
        }
        finally
        {
            Gate.Release();
        }
    }
}

/// <summary>Makes sure the roles exist and, when configured and nobody exists yet, creates the bootstrap administrator.</summary>
internal sealed class AccountStartupTask(
    IServiceScopeFactory scopes,
    IFirstRunSetup setup,
    IOptions<PortalOptions> options,
    ILogger<AccountStartupTask> logger) : IStartupTask
{
    public int Order => 0;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using (var scope = scopes.CreateAsyncScope())
        {
            var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
            foreach (var role in PortalRoles.All)
            {
                if (!await roles.RoleExistsAsync(role))
                {
                    await roles.CreateAsync(new IdentityRole(role));
                }
            }
        }

        var bootstrap = options.Value.BootstrapAdmin;
        if (string.IsNullOrWhiteSpace(bootstrap.Email) || string.IsNullOrEmpty(bootstrap.Password))
        {
            return;
        }

        if (!await setup.NeedsFirstAdministratorAsync(cancellationToken))
        {
            return;
        }

        var result = await setup.CreateFirstAdministratorAsync(bootstrap.Email, "Administrator", bootstrap.Password, cancellationToken);
        if (!result.Succeeded)
        {
            // A bad bootstrap password must stop start-up with the reason, not leave a portal nobody can enter.
            throw new InvalidOperationException(
                "Portal:BootstrapAdmin could not create the first administrator: " + string.Join(" ", result.Errors.Select(e => e.Description)));
        }

        logger.LogInformation("Bootstrap administrator {Email} created from configuration", bootstrap.Email);
    }
}
