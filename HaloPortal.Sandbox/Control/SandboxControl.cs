using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Graph;
using HaloPortal.Sandbox.Identity;
using HaloPortal.Sandbox.Mail;
using HaloPortal.Sandbox.Webhooks;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Sandbox.Control;

/// <summary>Tenants, users, applications and their credentials; mail, subscriptions and faults are in SandboxControl.Mail.cs.</summary>
internal sealed partial class SandboxControl(
    IDbContextFactory<SandboxDbContext> contexts,
    TenantKeys keys,
    MailStore mail,
    FaultRegistry faults,
    Throttler throttler,
    ChangeNotifier notifier,
    SandboxDirectoryCache directory,
    TimeProvider time) : ISandboxControl
{
    private static readonly PasswordHasher<SbUser> Passwords = new();

    public async Task<IReadOnlyList<SandboxTenantInfo>> ListTenantsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await db.Tenants.AsNoTracking().OrderBy(t => t.CreatedAt).ToListAsync(cancellationToken))
            .Select(t => new SandboxTenantInfo(t.Id, t.DisplayName, t.DefaultDomain, t.ThrottlingEnabled) { ThrottledResponses = throttler.ThrottledResponses(t.Id) }).ToList();
    }

    public async Task<SandboxTenantInfo> CreateTenantAsync(string displayName, string defaultDomain, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(displayName))
        {
            throw new ArgumentException("Give the tenant a display name.", nameof(displayName));
        }

        var domain = (defaultDomain ?? "").Trim().ToLowerInvariant();
        if (domain.Length < 3 || !domain.Contains('.') || domain.Contains('@') || domain.Contains(' '))
        {
            throw new ArgumentException("The default domain must be a domain name such as contoso.sandbox.", nameof(defaultDomain));
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.Tenants.AnyAsync(t => t.DefaultDomain == domain, cancellationToken))
        {
            throw new ArgumentException($"A sandbox tenant already uses the domain {domain}; choose another.", nameof(defaultDomain));
        }

        var now = time.GetUtcNow();
        var tenant = new SbTenant
        {
            Id = Guid.NewGuid(),
            DisplayName = displayName.Trim(),
            DefaultDomain = domain,
            ProtectedSigningCertificate = keys.CreateProtectedCertificate(domain, now),
            CreatedAt = now,
        };
        db.Tenants.Add(tenant);
        await db.SaveChangesAsync(cancellationToken);
        return new SandboxTenantInfo(tenant.Id, tenant.DisplayName, tenant.DefaultDomain, tenant.ThrottlingEnabled);
    }

    public async Task SetThrottlingAsync(string tenant, bool enabled, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await TenantAsync(db, tenant, cancellationToken);
        await db.Tenants.Where(t => t.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.ThrottlingEnabled, enabled), cancellationToken);
        throttler.TenantChanged(row.Id);
    }

    public async Task<IReadOnlyList<SandboxUserInfo>> ListUsersAsync(string tenant, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await TenantAsync(db, tenant, cancellationToken);
        var users = await db.Users.AsNoTracking().Where(u => u.TenantId == row.Id).OrderBy(u => u.CreatedAt).ToListAsync(cancellationToken);
        var names = users.ToDictionary(u => u.Id, u => u.UserPrincipalName);
        var delegates = await db.Delegates.AsNoTracking().Where(d => names.Keys.Contains(d.MailboxId)).ToListAsync(cancellationToken);
        return users.Select(u => new SandboxUserInfo(u.Id, u.UserPrincipalName, u.DisplayName, u.MailboxType,
            delegates.Where(d => d.MailboxId == u.Id).Select(d => names.GetValueOrDefault(d.DelegateId) ?? d.DelegateId.ToString()).ToList())).ToList();
    }

    public async Task<SandboxUserInfo> CreateUserAsync(string tenant, SandboxNewUser user, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await TenantAsync(db, tenant, cancellationToken);
        var upn = (user.UserPrincipalName ?? "").Trim().ToLowerInvariant();
        if (!upn.EndsWith("@" + row.DefaultDomain, StringComparison.Ordinal) || upn.Length <= row.DefaultDomain.Length + 1)
        {
            throw new ArgumentException($"The user principal name must be an address in the tenant's domain, e.g. someone@{row.DefaultDomain}.", "userPrincipalName");
        }

        if (await db.Users.AnyAsync(u => u.UserPrincipalName == upn, cancellationToken))
        {
            throw new ArgumentException($"{upn} already exists in the sandbox.", "userPrincipalName");
        }

        var canSignIn = user.MailboxType is SandboxMailboxType.Licensed or SandboxMailboxType.None;
        if (canSignIn && string.IsNullOrEmpty(user.Password))
        {
            throw new ArgumentException("A licensed user needs a password to sign in with.", "password");
        }

        var now = time.GetUtcNow();
        var entity = new SbUser
        {
            Id = Guid.NewGuid(),
            TenantId = row.Id,
            UserPrincipalName = upn,
            DisplayName = string.IsNullOrWhiteSpace(user.DisplayName) ? upn.Split('@')[0] : user.DisplayName.Trim(),
            MailboxType = user.MailboxType,
            CreatedAt = now,
            TokensValidFrom = DateTimeOffset.UnixEpoch,
        };
        entity.PasswordHash = canSignIn ? Passwords.HashPassword(entity, user.Password!) : null;
        db.Users.Add(entity);
        if (user.MailboxType != SandboxMailboxType.None)
        {
            mail.AddWellKnownFolders(db, entity.Id);
        }

        var delegateNames = new List<string>();
        foreach (var name in user.Delegates ?? [])
        {
            var delegateUser = await db.FindUserAsync(row.Id, name, cancellationToken)
                               ?? throw new ArgumentException($"The delegate {name} is not a user of this tenant; create them first.", "delegates");
            db.Delegates.Add(new SbMailboxDelegate { MailboxId = entity.Id, DelegateId = delegateUser.Id });
            delegateNames.Add(delegateUser.UserPrincipalName);
        }

        await db.SaveChangesAsync(cancellationToken);
        directory.Changed();
        return new SandboxUserInfo(entity.Id, entity.UserPrincipalName, entity.DisplayName, entity.MailboxType, delegateNames);
    }

    public async Task<IReadOnlyList<SandboxApplicationInfo>> ListApplicationsAsync(string tenant, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await TenantAsync(db, tenant, cancellationToken);
        var apps = await db.Applications.AsNoTracking().Where(a => a.TenantId == row.Id).OrderBy(a => a.CreatedAt).ToListAsync(cancellationToken);
        var ids = apps.Select(a => a.Id).ToList();
        var secrets = await db.Secrets.AsNoTracking().Where(s => ids.Contains(s.ApplicationId)).ToListAsync(cancellationToken);
        var certificates = await db.Certificates.AsNoTracking().Where(c => ids.Contains(c.ApplicationId)).ToListAsync(cancellationToken);
        var policies = await db.AccessPolicies.AsNoTracking().Where(p => p.TenantId == row.Id).ToListAsync(cancellationToken);
        return apps.Select(a => new SandboxApplicationInfo(
            a.AppId, a.Id, a.DisplayName, a.RedirectUris, a.ApplicationPermissions, a.DelegatedPermissions, a.AdminConsent,
            secrets.Where(s => s.ApplicationId == a.Id).OrderBy(s => s.CreatedAt).Select(s => new SandboxSecretInfo(s.Id, s.DisplayName, s.Hint, s.ExpiresAt)).ToList(),
            certificates.Where(c => c.ApplicationId == a.Id).Select(c => c.Thumbprint).ToList(),
            policies.Where(p => p.AppId == a.AppId).Select(p => (IReadOnlyList<string>)p.AllowedMailboxes).FirstOrDefault())).ToList();
    }

    public async Task<SandboxApplicationInfo> CreateApplicationAsync(string tenant, SandboxNewApplication application, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(application.DisplayName))
        {
            throw new ArgumentException("Give the application a display name.", "displayName");
        }

        foreach (var uri in application.RedirectUris ?? [])
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme != Uri.UriSchemeHttps && !(parsed.Scheme == Uri.UriSchemeHttp && parsed.IsLoopback))
            {
                throw new ArgumentException($"The redirect URI '{uri}' must be an absolute https URL (http is allowed only for localhost).", "redirectUris");
            }
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await TenantAsync(db, tenant, cancellationToken);
        var app = new SbApplication
        {
            Id = Guid.NewGuid(),
            AppId = Guid.NewGuid(),
            TenantId = row.Id,
            DisplayName = application.DisplayName.Trim(),
            RedirectUris = (application.RedirectUris ?? []).Distinct(StringComparer.Ordinal).ToList(),
            ApplicationPermissions = Clean(application.ApplicationPermissions),
            DelegatedPermissions = Clean(application.DelegatedPermissions),
            AdminConsent = application.AdminConsent,
            AllowPublicClient = application.AllowPublicClient,
            CreatedAt = time.GetUtcNow(),
        };
        db.Applications.Add(app);
        await db.SaveChangesAsync(cancellationToken);
        return new SandboxApplicationInfo(app.AppId, app.Id, app.DisplayName, app.RedirectUris, app.ApplicationPermissions, app.DelegatedPermissions, app.AdminConsent, [], [], null);
    }

    public async Task<SandboxSecretCreated> AddSecretAsync(string tenant, Guid appId, string? displayName, DateTimeOffset? expiresAt, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var app = await ApplicationAsync(db, tenant, appId, cancellationToken);
        var value = SandboxIds.SecretValue();
        var now = time.GetUtcNow();
        var secret = new SbSecret
        {
            Id = Guid.NewGuid(),
            ApplicationId = app.Id,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? "Client secret" : displayName.Trim(),
            Hint = value[..3],
            ValueHash = SandboxIds.Sha256(value),
            ExpiresAt = expiresAt ?? now.AddDays(180),
            CreatedAt = now,
        };
        db.Secrets.Add(secret);
        await db.SaveChangesAsync(cancellationToken);
        return new SandboxSecretCreated(secret.Id, value, secret.ExpiresAt);
    }

    public async Task<string> AddCertificateAsync(string tenant, Guid appId, string certificate, CancellationToken cancellationToken = default)
    {
        X509Certificate2 parsed;
        try
        {
            parsed = certificate.Contains("-----BEGIN", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(certificate)
                : X509CertificateLoader.LoadCertificate(Convert.FromBase64String(certificate.Trim()));
        }
        catch (Exception ex) when (ex is FormatException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new ArgumentException("The certificate must be base64 DER or PEM (the public certificate, not the private key).", nameof(certificate));
        }

        using (parsed)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var app = await ApplicationAsync(db, tenant, appId, cancellationToken);
            var thumbprint = parsed.Thumbprint.ToUpperInvariant();
            if (!await db.Certificates.AnyAsync(c => c.ApplicationId == app.Id && c.Thumbprint == thumbprint, cancellationToken))
            {
                db.Certificates.Add(new SbCertificate
                {
                    Id = Guid.NewGuid(),
                    ApplicationId = app.Id,
                    Thumbprint = thumbprint,
                    ThumbprintSha256 = Convert.ToHexString(parsed.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256)),
                    RawData = parsed.RawData,
                    NotBefore = parsed.NotBefore.ToUniversalTime(),
                    ExpiresAt = parsed.NotAfter.ToUniversalTime(),
                    CreatedAt = time.GetUtcNow(),
                });
                await db.SaveChangesAsync(cancellationToken);
            }

            return thumbprint;
        }
    }

    public async Task<Guid> AddFederatedCredentialAsync(string tenant, Guid appId, SandboxNewFederatedCredential credential, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(credential.Issuer) || !Uri.TryCreate(credential.Issuer, UriKind.Absolute, out _))
        {
            throw new ArgumentException("The issuer must be the absolute URL the assertions' iss claim carries.", "issuer");
        }

        if (string.IsNullOrWhiteSpace(credential.Subject))
        {
            throw new ArgumentException("The subject must be the assertions' sub claim.", "subject");
        }

        if (!string.IsNullOrWhiteSpace(credential.Jwks))
        {
            try
            {
                _ = new Microsoft.IdentityModel.Tokens.JsonWebKeySet(credential.Jwks);
            }
            catch (ArgumentException)
            {
                throw new ArgumentException("jwks must be a JSON Web Key Set ({\"keys\":[...]}).", "jwks");
            }
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var app = await ApplicationAsync(db, tenant, appId, cancellationToken);
        var entity = new SbFederatedCredential
        {
            Id = Guid.NewGuid(),
            ApplicationId = app.Id,
            Name = string.IsNullOrWhiteSpace(credential.Name) ? "federated" : credential.Name.Trim(),
            Issuer = credential.Issuer.Trim(),
            Subject = credential.Subject.Trim(),
            Audiences = credential.Audiences is { Count: > 0 } a ? a.ToList() : ["api://AzureADTokenExchange"],
            JwksJson = string.IsNullOrWhiteSpace(credential.Jwks) ? null : credential.Jwks,
            CreatedAt = time.GetUtcNow(),
        };
        db.FederatedCredentials.Add(entity);
        await db.SaveChangesAsync(cancellationToken);
        return entity.Id;
    }

    public async Task SetAccessPolicyAsync(string tenant, Guid appId, IReadOnlyList<string> allowedMailboxes, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var app = await ApplicationAsync(db, tenant, appId, cancellationToken);
        var policy = await db.AccessPolicies.SingleOrDefaultAsync(p => p.TenantId == app.TenantId && p.AppId == app.AppId, cancellationToken);
        if (policy is null)
        {
            policy = new SbAccessPolicy { Id = Guid.NewGuid(), TenantId = app.TenantId, AppId = app.AppId, CreatedAt = time.GetUtcNow() };
            db.AccessPolicies.Add(policy);
        }

        policy.AllowedMailboxes = allowedMailboxes.Select(m => m.Trim().ToLowerInvariant()).Where(m => m.Length > 0).Distinct().ToList();
        await db.SaveChangesAsync(cancellationToken);
        directory.Changed();
    }

    private static List<string> Clean(IReadOnlyList<string>? permissions) =>
        (permissions ?? []).Select(p => p.Trim()).Where(p => p.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    private static async Task<SbTenant> TenantAsync(SandboxDbContext db, string tenant, CancellationToken ct) =>
        await db.FindTenantAsync(tenant ?? "", ct) ?? throw new SandboxNotFoundException($"There is no sandbox tenant '{tenant}'.");

    private static async Task<SbApplication> ApplicationAsync(SandboxDbContext db, string tenant, Guid appId, CancellationToken ct)
    {
        var row = await TenantAsync(db, tenant, ct);
        return await db.Applications.AsNoTracking().SingleOrDefaultAsync(a => a.TenantId == row.Id && a.AppId == appId, ct)
               ?? throw new SandboxNotFoundException($"The tenant {row.DefaultDomain} has no application {appId}.");
    }

    private static async Task<SbUser> MailboxAsync(SandboxDbContext db, string address, CancellationToken ct) =>
        await db.FindMailboxAsync(address ?? "", ct) ?? throw new SandboxNotFoundException($"There is no sandbox mailbox '{address}'.");
}
