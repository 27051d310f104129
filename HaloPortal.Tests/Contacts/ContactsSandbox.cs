using System.Text.Json;
using HaloPortal.Engine.Contacts;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tokens;
using HaloPortal.Engine.EndUsers;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Contacts;

/// <summary>The portal with the sandbox, without the demo contacts (each test fills its own sandbox mailbox).</summary>
public sealed class ContactsAppFactory : PortalAppFactory
{
    public ContactsAppFactory() => Settings["Portal:Contacts:SeedDemoContacts"] = "false";
}

/// <summary>Per test: a fresh shared mailbox in the sandbox demo tenant, a portal mailbox connected to it, contacts in it, and queries.</summary>
internal sealed class ContactsSandbox(PortalAppFactory app)
{
    public ISandboxControl Control => app.Services.GetRequiredService<ISandboxControl>();

    public IContactImports Imports => app.Services.GetRequiredService<IContactImports>();

    public IContactMappings Mappings => app.Services.GetRequiredService<IContactMappings>();

    public ISites Sites => app.Services.GetRequiredService<ISites>();

    public SandboxDemoTenant Demo => app.Services.GetRequiredService<ISandboxDemo>().GetAsync().GetAwaiter().GetResult()!;

    /// <summary>A domain no other test uses.</summary>
    public static string NewDomain() => $"c{Guid.NewGuid():N}"[..12] + ".example";

    /// <summary>A portal mailbox connected (client credentials, secret) to a new sandbox shared mailbox; without Contacts.Read when asked.</summary>
    public async Task<(int MailboxId, string Address)> MailboxAsync(bool contactsPermission = true)
    {
        var demo = Demo;
        var tenant = demo.TenantId.ToString();
        var address = $"contacts-{Guid.NewGuid():N}"[..20] + "@" + demo.DefaultDomain;
        await Control.CreateUserAsync(tenant, new SandboxNewUser(address, "Contacts test", null, SandboxMailboxType.Shared));
        var (appId, secret) = (demo.AppId, demo.ClientSecret);
        if (!contactsPermission)
        {
            var application = await Control.CreateApplicationAsync(tenant, new SandboxNewApplication("No contacts " + Guid.NewGuid().ToString("N")[..6],
                ApplicationPermissions: ["Mail.ReadWrite", "Mail.Send"], AdminConsent: true));
            appId = application.AppId;
            secret = (await Control.AddSecretAsync(tenant, appId, "test", DateTimeOffset.UtcNow.AddDays(30))).SecretValue;
        }

        var now = DateTimeOffset.UtcNow;
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var mailbox = new Mailbox { Name = "Contacts " + Guid.NewGuid().ToString("N")[..8], CreatedAt = now };
        mailbox.Credentials.Add(new MailboxCredential
        {
            Instance = PortalInstance.Production,
            AuthMethod = AuthMethod.ClientCredentials,
            CredentialType = CredentialType.ClientSecret,
            ProcessingMethod = ProcessingMethod.MailboxScan,
            Authority = GraphAuthority.Sandbox,
            TenantId = tenant,
            ClientId = appId.ToString(),
            ClientSecretProtected = app.Services.GetRequiredService<ICredentialSecrets>().Protect(secret),
            SecretExpiresAt = now.AddDays(30),
            EmailAddress = address,
            ImportContacts = true,
            Status = CredentialStatus.Connected,
            ConnectedAddress = address,
            ConnectedAt = now,
            CreatedAt = now,
        });
        db.Add(mailbox);
        await db.SaveChangesAsync();
        return (mailbox.Id, address);
    }

    public Task<IReadOnlyList<string>> AddContactsAsync(string address, IEnumerable<object> contacts) =>
        Control.AddContactsAsync(address, JsonSerializer.SerializeToElement(contacts.ToList()));

    /// <summary>A Graph contact resource.</summary>
    public static Dictionary<string, object?> Contact(string given, string surname, string? email, string? jobTitle = null, string? company = null,
        string? mobile = null, string? businessPhone = null, string? department = null, object? extra = null)
    {
        var contact = new Dictionary<string, object?>
        {
            ["givenName"] = given,
            ["surname"] = surname,
            ["displayName"] = $"{given} {surname}",
            ["emailAddresses"] = email is null ? Array.Empty<object>() : new object[] { new { name = $"{given} {surname}", address = email } },
            ["jobTitle"] = jobTitle,
            ["companyName"] = company,
            ["mobilePhone"] = mobile,
            ["department"] = department,
            ["businessPhones"] = businessPhone is null ? Array.Empty<string>() : new[] { businessPhone },
        };
        if (extra is not null)
        {
            foreach (var p in JsonSerializer.SerializeToElement(extra).EnumerateObject())
            {
                contact[p.Name] = p.Value;
            }
        }

        return contact;
    }

    public async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await query(db);
    }

    public Task<EndUser> UserAsync(string email) => QueryAsync(db => db.Set<EndUser>().AsNoTracking().SingleAsync(u => u.Email == email));

    public Task<List<EndUser>> UsersOfDomainAsync(string domain) => QueryAsync(db => db.Set<EndUser>().AsNoTracking().Where(u => u.Email.EndsWith("@" + domain)).ToListAsync());

    public Task<string> SiteNameAsync(int siteId) => QueryAsync(db => db.Set<Site>().Where(s => s.Id == siteId).Select(s => s.Name).SingleAsync());
}
