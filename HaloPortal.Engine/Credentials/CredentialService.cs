using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Portal;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Credentials;

/// <summary>Thrown when a credential's settings break a rule; carries every field's message.</summary>
public sealed class CredentialValidationException(CredentialValidation validation)
    : Exception("The credential has errors: " + string.Join(" ", validation.Errors.SelectMany(e => e.Value)))
{
    public CredentialValidation Validation { get; } = validation;
}

/// <summary>Creating, changing and removing a mailbox's credentials.</summary>
public interface ICredentials
{
    Task<CredentialView?> GetAsync(int id, CancellationToken cancellationToken = default);

    /// <summary>Checks the input without saving (the editor calls it as the user types).</summary>
    CredentialValidation Validate(CredentialInput input, CredentialView? existing);

    /// <exception cref="CredentialValidationException">A rule is broken.</exception>
    Task<CredentialView> CreateAsync(int mailboxId, CredentialInput input, Actor actor, CancellationToken cancellationToken = default);

    /// <exception cref="CredentialValidationException">A rule is broken, or the credential is locked (signed in: disconnect first).</exception>
    Task<CredentialView> UpdateAsync(int id, CredentialInput input, Actor actor, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(int id, Actor actor, CancellationToken cancellationToken = default);
}

internal sealed class CredentialService(
    IDbContextFactory<PortalDbContext> contexts,
    ICredentialSecrets secrets,
    TimeProvider time,
    IOptions<PortalOptions> options,
    IAuthorities authorities,
    FederatedTokenDirectory federatedTokens,
    ICredentialOwners owners,
    CredentialRetirements retirements,
    IClientSecretLifetimes lifetimes) : ICredentials
{
    private PortalOptions Options => options.Value;

    public async Task<CredentialView?> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var credential = await db.Set<MailboxCredential>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, cancellationToken);
        return credential is null ? null : CredentialView.From(credential, Options.Instance);
    }

    public CredentialValidation Validate(CredentialInput input, CredentialView? existing)
    {
        var validation = CredentialRules.Validate(input, Options.Hosting,
            hasStoredSecret: existing?.HasClientSecret == true,
            hasStoredCertificate: existing?.CertificateThumbprint is not null,
            time.GetUtcNow(),
            authorities.RefusalOf(input.Authority)?.Message,
            federatedTokens.Path);
        if (existing?.Locked == true)
        {
            validation.Add("credential", "This credential is signed in and locked. Click Disconnect before changing it.");
        }
        else if (existing?.ValuesLocked == true)
        {
            var locked = $"cannot change while the credential is connected to {existing.ConnectedAddress}: click Disconnect on the credential first. " +
                "A new secret or certificate can be saved without disconnecting.";
            Keep("instance", "The instance", existing.Instance == input.Instance);
            Keep("authMethod", "The authentication method", existing.AuthMethod == input.AuthMethod);
            Keep("authority", "The authority", existing.Authority == input.Authority);
            Keep("tenantId", "The directory (tenant) ID", Same(existing.TenantId, input.TenantId));
            Keep("clientId", "The application (client) ID", Same(existing.ClientId, input.ClientId));
            Keep("emailAddress", "The email address", Same(existing.EmailAddress, input.EmailAddress));

            void Keep(string field, string what, bool same)
            {
                if (!same)
                {
                    validation.Add(field, $"{what} {locked}");
                }
            }
        }

        return validation;
    }

    public async Task<CredentialView> CreateAsync(int mailboxId, CredentialInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        input.Normalise(Options.Hosting);
        await FillSecretExpiryAsync(input, cancellationToken);
        var validation = Validate(input, null);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await owners.NameOfAsync(mailboxId, cancellationToken) is null)
        {
            throw new KeyNotFoundException($"Mailbox {mailboxId} does not exist.");
        }

        if (await db.Set<MailboxCredential>().AnyAsync(c => c.MailboxId == mailboxId && c.Instance == input.Instance, cancellationToken))
        {
            validation.Add("instance", $"This mailbox already has {input.Instance} credentials. Edit them, or choose another instance.");
        }

        await CheckAddressFreeAsync(db, input, mailboxId, validation, cancellationToken);

        var certificate = ReadCertificate(input, validation);
        if (!validation.IsValid)
        {
            throw new CredentialValidationException(validation);
        }

        var now = time.GetUtcNow();
        var credential = new MailboxCredential { MailboxId = mailboxId, CreatedAt = now };
        Apply(credential, input, certificate);
        db.Add(credential);
        await db.SaveChangesAsync(cancellationToken);
        db.Audit(time, actor, "Credential.Created", "MailboxCredential", credential.Id.ToString(), null, CredentialView.AuditSnapshot(credential));
        await db.SaveChangesAsync(cancellationToken);
        owners.CredentialsChanged(mailboxId);
        return CredentialView.From(credential, Options.Instance);
    }

    public async Task<CredentialView> UpdateAsync(int id, CredentialInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        input.Normalise(Options.Hosting);
        await FillSecretExpiryAsync(input, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var credential = await db.Set<MailboxCredential>().SingleOrDefaultAsync(c => c.Id == id, cancellationToken)
            ?? throw new KeyNotFoundException($"Credential {id} does not exist.");
        var existing = CredentialView.From(credential, Options.Instance);
        var validation = Validate(input, existing);
        if (input.Instance != credential.Instance &&
            await db.Set<MailboxCredential>().AnyAsync(c => c.MailboxId == credential.MailboxId && c.Instance == input.Instance && c.Id != id, cancellationToken))
        {
            validation.Add("instance", $"This mailbox already has {input.Instance} credentials.");
        }

        // Only a new address is checked: rotating the secret of a mailbox that already shared its address keeps working.
        if (!string.Equals(AddressOf(input), AddressOf(CredentialInput.From(credential)), StringComparison.OrdinalIgnoreCase) || input.Instance != credential.Instance)
        {
            await CheckAddressFreeAsync(db, input, credential.MailboxId, validation, cancellationToken);
        }

        var certificate = ReadCertificate(input, validation);
        if (!validation.IsValid)
        {
            throw new CredentialValidationException(validation);
        }

        var before = CredentialView.AuditSnapshot(credential);
        var connectionChanged = ConnectionChanges(credential, input) || input.ClientSecret is not null || certificate is not null;
        if (credential.ProcessingMethod == ProcessingMethod.Webhooks)
        {
            var reason = input.ProcessingMethod != ProcessingMethod.Webhooks ? $"processing switched to {input.ProcessingMethod}"
                : input.Instance != credential.Instance ? $"moved to the {input.Instance} instance"
                : OwnerChanges(credential, input) ? "connected to another app, tenant or mailbox" : null;
            if (reason is not null)
            {
                await RetireAsync(id, reason, actor, cancellationToken);
            }
        }

        var keepsAddress = existing.ValuesLocked && !OwnerChanges(credential, input);
        Apply(credential, input, certificate);
        if (connectionChanged && keepsAddress)
        {
            // A new secret or certificate for the same app and mailbox: the mailbox is the same, but the new key is untried.
            credential.Status = CredentialStatus.NotConnected;
            credential.LastErrorCode = null;
            credential.LastErrorMessage = null;
            credential.LastErrorAt = null;
        }
        else if (connectionChanged)
        {
            // Different app, tenant or mailbox: what was verified before no longer holds.
            credential.ForgetConnection();
        }

        credential.UpdatedAt = time.GetUtcNow();
        db.Audit(time, actor, "Credential.Updated", "MailboxCredential", id.ToString(), before, CredentialView.AuditSnapshot(credential));
        await db.SaveChangesAsync(cancellationToken);
        owners.CredentialsChanged(credential.MailboxId);
        return CredentialView.From(credential, Options.Instance);
    }

    /// <summary>
    /// One address, one mailbox: a second mailbox reading an address another mailbox already reads (on the same instance) would
    /// see every email twice and open every ticket twice, so the save is refused with the other mailbox named.
    /// </summary>
    private async Task CheckAddressFreeAsync(PortalDbContext db, CredentialInput input, int mailboxId, CredentialValidation validation, CancellationToken cancellationToken)
    {
        var (field, address) = (input.AuthMethod == AuthMethod.ClientCredentials ? "emailAddress" : "sharedMailbox", AddressOf(input));
        if (string.IsNullOrWhiteSpace(address) || validation.For(field).Count > 0)
        {
            return;
        }

        var wanted = address.Trim().ToLowerInvariant();
        var otherMailboxId = await db.Set<MailboxCredential>()
            .Where(c => c.MailboxId != mailboxId && c.Instance == input.Instance
                        && (c.AuthMethod == AuthMethod.ClientCredentials
                            ? c.EmailAddress!.ToLower() == wanted
                            : c.SharedMailbox != null && c.SharedMailbox != ""
                                ? c.SharedMailbox.ToLower() == wanted
                                : c.ConnectedAddress!.ToLower() == wanted))
            .Select(c => (int?)c.MailboxId).FirstOrDefaultAsync(cancellationToken);
        var other = otherMailboxId is { } id ? await owners.NameOfAsync(id, cancellationToken) : null;
        if (other is not null)
        {
            validation.Add(field, $"{wanted} is already read by the mailbox '{other}' (on the {input.Instance} instance). Two mailboxes on one address would open every ticket twice: " +
                "edit that mailbox's credentials instead, or enter another address.");
        }
    }

    private static bool Same(string? a, string? b) => string.Equals(a?.Trim() ?? "", b?.Trim() ?? "", StringComparison.OrdinalIgnoreCase);

    /// <summary>A pasted secret whose tenant knows its lifetime (the sandbox) brings its expiry date when none was entered.</summary>
    private async Task FillSecretExpiryAsync(CredentialInput input, CancellationToken cancellationToken)
    {
        if (input.CredentialType == CredentialType.ClientSecret && input.SecretExpiresAt is null && !string.IsNullOrEmpty(input.ClientSecret))
        {
            input.SecretExpiresAt = await lifetimes.ExpiresAtAsync(input.Authority, input.ClientId ?? "", input.ClientSecret, cancellationToken);
        }
    }

    /// <summary>The address a credential input names: the client-credentials email address, or the authorisation-code shared mailbox.</summary>
    private static string? AddressOf(CredentialInput input) =>
        (input.AuthMethod == AuthMethod.ClientCredentials ? input.EmailAddress : input.SharedMailbox)?.Trim();

    public async Task<bool> DeleteAsync(int id, Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var credential = await db.Set<MailboxCredential>().SingleOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (credential is null)
        {
            return false;
        }

        await RetireAsync(id, "credential deleted", actor, cancellationToken);
        db.Remove(credential);
        db.Audit(time, actor, "Credential.Deleted", "MailboxCredential", id.ToString(), CredentialView.AuditSnapshot(credential), null);
        await db.SaveChangesAsync(cancellationToken);
        owners.CredentialsChanged(credential.MailboxId);
        return true;
    }

    private Task RetireAsync(int id, string reason, Actor actor, CancellationToken cancellationToken) =>
        retirements.RetiringAsync(id, reason, actor, cancellationToken);

    private static CertificateInfo? ReadCertificate(CredentialInput input, CredentialValidation validation)
    {
        if (input.CredentialType != CredentialType.Certificate || input.Certificate is null)
        {
            return null;
        }

        try
        {
            return CertificateReader.Read(input.Certificate, input.CertificatePassword);
        }
        catch (ArgumentException ex)
        {
            validation.Add("certificate", ex.Message.Replace(" (Parameter 'certificate')", "", StringComparison.Ordinal));
            return null;
        }
    }

    /// <summary>A subscription belongs to an app in a tenant watching a mailbox: a new secret, certificate or sign-in method keeps it.</summary>
    private static bool OwnerChanges(MailboxCredential c, CredentialInput i) =>
        c.Authority != i.Authority ||
        !string.Equals(c.TenantId, i.TenantId, StringComparison.OrdinalIgnoreCase) ||
        !string.Equals(c.ClientId, i.ClientId, StringComparison.OrdinalIgnoreCase) ||
        !string.Equals(c.EmailAddress, i.EmailAddress, StringComparison.OrdinalIgnoreCase) ||
        !string.Equals(c.SharedMailbox, i.SharedMailbox, StringComparison.OrdinalIgnoreCase);

    private static bool ConnectionChanges(MailboxCredential c, CredentialInput i) =>
        c.AuthMethod != i.AuthMethod || c.CredentialType != i.CredentialType || c.Authority != i.Authority ||
        !string.Equals(c.TenantId, i.TenantId, StringComparison.OrdinalIgnoreCase) ||
        !string.Equals(c.ClientId, i.ClientId, StringComparison.OrdinalIgnoreCase) ||
        !string.Equals(c.EmailAddress, i.EmailAddress, StringComparison.OrdinalIgnoreCase) ||
        !string.Equals(c.SharedMailbox, i.SharedMailbox, StringComparison.OrdinalIgnoreCase) ||
        c.FederatedTokenFile != i.FederatedTokenFile;

    private void Apply(MailboxCredential c, CredentialInput i, CertificateInfo? certificate)
    {
        c.Instance = i.Instance;
        c.AuthMethod = i.AuthMethod;
        c.CredentialType = i.CredentialType;
        c.ProcessingMethod = i.ProcessingMethod;
        c.Authority = i.Authority;
        c.TenantId = i.TenantId ?? "";
        c.ClientId = i.ClientId ?? "";
        c.EmailAddress = i.EmailAddress;
        c.SharedMailbox = i.SharedMailbox;
        c.UsesRbacForApplications = i.UsesRbacForApplications;
        c.ImportContacts = i.ImportContacts;
        c.FederatedTokenFile = i.CredentialType == CredentialType.FederatedCredential ? i.FederatedTokenFile : null;

        if (i.CredentialType == CredentialType.ClientSecret)
        {
            if (i.ClientSecret is not null)
            {
                c.ClientSecretProtected = secrets.Protect(i.ClientSecret);
            }

            c.SecretExpiresAt = i.SecretExpiresAt;
        }
        else
        {
            c.ClientSecretProtected = null;
            c.SecretExpiresAt = null;
        }

        if (i.CredentialType == CredentialType.Certificate)
        {
            if (certificate is not null)
            {
                c.CertificateProtected = secrets.ProtectBytes(certificate.Pkcs12);
                c.CertificateThumbprint = certificate.Thumbprint;
                c.CertificateSubject = certificate.Subject;
                c.CertificateExpiresAt = certificate.ExpiresAt;
            }
        }
        else
        {
            c.CertificateProtected = null;
            c.CertificateThumbprint = null;
            c.CertificateSubject = null;
            c.CertificateExpiresAt = null;
        }
    }
}
