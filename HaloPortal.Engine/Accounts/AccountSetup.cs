using System.Security.Cryptography;
using System.Text;
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

    /// <summary>
    /// True when the setup page must ask for the one-time setup code: in the Production environment the first visitor of a fresh
    /// deployment must prove they can read the portal's log (where the code was written at start-up) before becoming administrator.
    /// </summary>
    bool RequiresSetupCode { get; }

    /// <summary>
    /// Creates the first administrator; fails when any account already exists, or when <see cref="RequiresSetupCode"/> and
    /// <paramref name="setupCode"/> is not the code written to the log. A used code is void.
    /// </summary>
    Task<IdentityResult> CreateFirstAdministratorAsync(string email, string displayName, string password, string? setupCode = null, CancellationToken cancellationToken = default);
}

/// <summary>Whether this deployment protects its first-administrator page with a setup code (the Production environment).</summary>
internal sealed record FirstRunPolicy(bool RequireSetupCode);

internal sealed class FirstRunSetup(IServiceScopeFactory scopes, IDbContextFactory<PortalDbContext> contexts, TimeProvider time, FirstRunPolicy policy, ILogger<FirstRunSetup> logger) : IFirstRunSetup
{
    // No 0/O or 1/I/L: the code is read from a log and typed by a person.
    private const string CodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private volatile bool _hasUsers;
    private byte[]? _setupCode;

    public bool RequiresSetupCode => policy.RequireSetupCode;

    /// <summary>Makes a new setup code (the old one is void) and returns it for the start-up log; only while nobody has an account.</summary>
    internal string IssueSetupCode()
    {
        var chars = RandomNumberGenerator.GetItems(CodeAlphabet.AsSpan(), 16);
        var code = $"{new string(chars[..4])}-{new string(chars[4..8])}-{new string(chars[8..12])}-{new string(chars[12..])}";
        _setupCode = Encoding.ASCII.GetBytes(Normalise(code));
        return code;
    }

    private bool SetupCodeMatches(string? presented)
    {
        var expected = _setupCode;
        if (expected is null || string.IsNullOrWhiteSpace(presented))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Normalise(presented)), expected);
    }

    private static string Normalise(string code) =>
        new(code.Where(c => !char.IsWhiteSpace(c) && c != '-').Select(char.ToUpperInvariant).ToArray());

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

    public Task<IdentityResult> CreateFirstAdministratorAsync(string email, string displayName, string password, string? setupCode = null, CancellationToken cancellationToken = default) =>
        CreateAsync(email, displayName, password, requireCode: policy.RequireSetupCode, setupCode, cancellationToken);

    /// <summary>The bootstrap administrator from configuration: whoever can set the configuration needs no code.</summary>
    internal Task<IdentityResult> CreateBootstrapAdministratorAsync(string email, string password, CancellationToken cancellationToken) =>
        CreateAsync(email, "Administrator", password, requireCode: false, null, cancellationToken);

    private async Task<IdentityResult> CreateAsync(string email, string displayName, string password, bool requireCode, string? setupCode, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (!await NeedsFirstAdministratorAsync(cancellationToken))
            {
                return IdentityResult.Failed(new IdentityError { Code = "AlreadySetUp", Description = "The first administrator already exists. Sign in instead." });
            }

            if (requireCode && !SetupCodeMatches(setupCode))
            {
                logger.LogWarning("Refused to create the first administrator: the setup code was missing or wrong");
                return IdentityResult.Failed(new IdentityError
                {
                    Code = "SetupCode",
                    Description = "The setup code is not right. Copy it from the portal's start-up log (the warning \"Nobody has an account yet\"), or restart the portal for a new one.",
                });
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
                _setupCode = null;
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
    FirstRunSetup setup,
    FirstRunPolicy policy,
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

        if (!await setup.NeedsFirstAdministratorAsync(cancellationToken))
        {
            return;
        }

        var bootstrap = options.Value.BootstrapAdmin;
        if (string.IsNullOrWhiteSpace(bootstrap.Email) || string.IsNullOrEmpty(bootstrap.Password))
        {
            if (policy.RequireSetupCode)
            {
                var url = (options.Value.PublicBaseUrl?.TrimEnd('/') ?? "") + PortalRoutes.AccountSetup;
                // Deliberately logged: reading the log proves the visitor runs this deployment. The code is void once used.
                logger.LogWarning(
                    "Nobody has an account yet. To create the first administrator, open {SetupUrl} and enter the one-time setup code {SetupCode}. "
                    + "It works once and until the portal restarts (a restart writes a new one). Alternatively set Portal__BootstrapAdmin__Email and Portal__BootstrapAdmin__Password.",
                    url, setup.IssueSetupCode());
            }

            return;
        }

        var result = await setup.CreateBootstrapAdministratorAsync(bootstrap.Email, bootstrap.Password, cancellationToken);
        if (!result.Succeeded)
        {
            // A bad bootstrap password must stop start-up with the reason, not leave a portal nobody can enter.
            throw new InvalidOperationException(
                "Portal:BootstrapAdmin could not create the first administrator: " + string.Join(" ", result.Errors.Select(e => e.Description)));
        }

        logger.LogInformation("Bootstrap administrator {Email} created from configuration", bootstrap.Email);
    }
}
