using System.Security.Cryptography;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Portal;
using HaloPortal.Sandbox.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Sandbox.Data;

/// <summary>Migrates <c>sandbox.db</c> and seeds the demo tenant once ("Contoso (sandbox)", an app with a secret, alex and a shared mailbox).</summary>
internal sealed class SandboxStartupTask(
    IDbContextFactory<SandboxDbContext> contexts,
    ISandboxControl control,
    IDataProtectionProvider protection,
    TenantKeys tenantKeys,
    IOptions<SandboxOptions> options,
    IOptions<PortalOptions> portal,
    TimeProvider time,
    ILogger<SandboxStartupTask> logger) : IStartupTask
{
    public const string DemoDomain = "contoso.sandbox";
    public const string DemoProtectorPurpose = "HaloPortal.Sandbox.Demo";

    public int Order => 50;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await db.Database.MigrateAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            await RegenerateUnreadableAsync(db, cancellationToken);
            if (!options.Value.SeedDemoTenant)
            {
                return;
            }

            if (await db.Demo.AnyAsync(cancellationToken))
            {
                await EnsureRedirectUrisAsync(db, cancellationToken);
                return;
            }
        }

        var protector = protection.CreateProtector(DemoProtectorPurpose);
        var tenant = await control.CreateTenantAsync("Contoso (sandbox)", DemoDomain, cancellationToken);
        var tenantKey = tenant.TenantId.ToString();
        var password = NewPassword();
        var alex = await control.CreateUserAsync(tenantKey, new SandboxNewUser($"alex@{DemoDomain}", "Alex Wilber", password), cancellationToken);
        var support = await control.CreateUserAsync(tenantKey,
            new SandboxNewUser($"support@{DemoDomain}", "Contoso Support", null, SandboxMailboxType.Shared, [alex.UserPrincipalName]), cancellationToken);
        var app = await control.CreateApplicationAsync(tenantKey, new SandboxNewApplication(
            "HaloPortal demo",
            RedirectUris(),
            ["Mail.ReadWrite", "Mail.Send", "Contacts.Read"],
            ["User.Read", "Mail.ReadWrite", "Mail.Send", "Contacts.Read", "Mail.ReadWrite.Shared", "Mail.Send.Shared", "Contacts.Read.Shared", "offline_access"],
            AdminConsent: true), cancellationToken);
        var secret = await control.AddSecretAsync(tenantKey, app.AppId, "HaloPortal demo", time.GetUtcNow().AddYears(2), cancellationToken);

        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            db.Demo.Add(new SbDemo
            {
                TenantId = tenant.TenantId,
                AppId = app.AppId,
                SecretId = secret.SecretId,
                ProtectedSecretValue = protector.Protect(secret.SecretValue),
                SecretExpiresAt = secret.ExpiresAt,
                UserPrincipalName = alex.UserPrincipalName,
                ProtectedPassword = protector.Protect(password),
                SharedMailbox = support.UserPrincipalName,
            });
            await db.SaveChangesAsync(cancellationToken);
        }

        logger.LogInformation("Seeded the sandbox demo tenant {Domain} ({TenantId}) with app {AppId}", DemoDomain, tenant.TenantId, app.AppId);
    }

    /// <summary>
    /// What the sandbox encrypted with the portal's Data Protection keys (tenants' signing certificates, the demo secret and password)
    /// cannot be read once those keys are gone (a new portal database, a lost key-encryption certificate). The sandbox owns them, so it
    /// makes new ones instead of failing: tokens signed before are no longer valid, the demo app gets a new secret.
    /// </summary>
    private async Task RegenerateUnreadableAsync(SandboxDbContext db, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var tenant in await db.Tenants.ToListAsync(cancellationToken))
        {
            if (!tenantKeys.CanRead(tenant.ProtectedSigningCertificate))
            {
                tenant.ProtectedSigningCertificate = tenantKeys.CreateProtectedCertificate(tenant.DefaultDomain, now);
                tenantKeys.Forget(tenant.Id);
                logger.LogWarning("The sandbox tenant {Domain}'s token-signing certificate could not be decrypted (the Data Protection keys changed); a new one was created", tenant.DefaultDomain);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        var demo = await db.Demo.SingleOrDefaultAsync(cancellationToken);
        var protector = protection.CreateProtector(DemoProtectorPurpose);
        if (demo is null || (CanRead(protector, demo.ProtectedSecretValue) && CanRead(protector, demo.ProtectedPassword)))
        {
            return;
        }

        var tenantKey = demo.TenantId.ToString();
        var secret = await control.AddSecretAsync(tenantKey, demo.AppId, "HaloPortal demo", now.AddYears(2), cancellationToken);
        var password = NewPassword();
        var user = await db.Users.SingleOrDefaultAsync(u => u.TenantId == demo.TenantId && u.UserPrincipalName == demo.UserPrincipalName, cancellationToken);
        if (user is not null)
        {
            user.PasswordHash = new PasswordHasher<SbUser>().HashPassword(user, password);
        }

        demo.SecretId = secret.SecretId;
        demo.ProtectedSecretValue = protector.Protect(secret.SecretValue);
        demo.SecretExpiresAt = secret.ExpiresAt;
        demo.ProtectedPassword = protector.Protect(password);
        await db.SaveChangesAsync(cancellationToken);
        logger.LogWarning("The sandbox demo tenant's secret and password could not be decrypted (the Data Protection keys changed); the demo app got a new secret and {User} a new password", demo.UserPrincipalName);
    }

    private static bool CanRead(IDataProtector protector, string value)
    {
        try
        {
            protector.Unprotect(value);
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return false;
        }
    }

    private static string NewPassword() => "Sbx-" + RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 12);

    /// <summary>The portal's OAuth callbacks: loopback (any port, as Entra allows for localhost) and the configured public address.</summary>
    private List<string> RedirectUris()
    {
        var uris = new List<string>();
        foreach (var host in new[] { "http://localhost", "http://127.0.0.1" })
        {
            uris.Add(host + "/authcallback");
            uris.Add(host + "/azure/auth");
        }

        foreach (var baseUrl in new[] { portal.Value.PublicBaseUrl, options.Value.BaseUrl })
        {
            if (!string.IsNullOrWhiteSpace(baseUrl))
            {
                uris.Add(baseUrl.TrimEnd('/') + "/authcallback");
                uris.Add(baseUrl.TrimEnd('/') + "/azure/auth");
            }
        }

        return uris.Distinct(StringComparer.Ordinal).ToList();
    }

    private async Task EnsureRedirectUrisAsync(SandboxDbContext db, CancellationToken ct)
    {
        var demo = await db.Demo.AsNoTracking().SingleAsync(ct);
        var app = await db.Applications.SingleOrDefaultAsync(a => a.AppId == demo.AppId, ct);
        if (app is null)
        {
            return;
        }

        var missing = RedirectUris().Except(app.RedirectUris, StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            app.RedirectUris = app.RedirectUris.Concat(missing).ToList();
            await db.SaveChangesAsync(ct);
        }
    }
}

internal sealed class SandboxDemo(IDbContextFactory<SandboxDbContext> contexts, IDataProtectionProvider protection) : ISandboxDemo
{
    public async Task<SandboxDemoTenant?> GetAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var demo = await db.Demo.AsNoTracking().SingleOrDefaultAsync(cancellationToken);
        if (demo is null)
        {
            return null;
        }

        var protector = protection.CreateProtector(SandboxStartupTask.DemoProtectorPurpose);
        try
        {
            return new SandboxDemoTenant(
                demo.TenantId, SandboxStartupTask.DemoDomain, demo.AppId, protector.Unprotect(demo.ProtectedSecretValue), demo.SecretExpiresAt,
                demo.UserPrincipalName, protector.Unprotect(demo.ProtectedPassword), demo.SharedMailbox);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            // Regenerated at start-up (SandboxStartupTask); until then the demo is simply not offered, never a crash.
            return null;
        }
    }
}
