using Bunit;
using AngleSharp.Dom;
using HaloPortal.Components.Pages.Configuration.Email;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace HaloPortal.Tests.Components.Email;

/// <summary>
/// bUnit for the email screens: the portal's test context (<see cref="PortalTestContext"/>) signed in as an Administrator, with
/// a public address, the hosting and instance under test, and the sandbox on a closed port. Time is a fake clock.
/// </summary>
public sealed class EmailTestContext : PortalTestContext
{
    public EmailTestContext(PortalHosting hosting = PortalHosting.Cloud, PortalInstance instance = PortalInstance.Production)
        : base(new Dictionary<string, string?>
        {
            // No server runs under bUnit: point the sandbox at a closed loopback port so sign-ins fail fast, as an unreachable cloud would.
            ["Sandbox:BaseUrl"] = "http://127.0.0.1:9",
            ["Portal:Hosting"] = hosting.ToString(),
            ["Portal:Instance"] = instance.ToString(),
            ["Portal:PublicBaseUrl"] = "https://helpdesk.example.com",
        })
    {
        SignIn("admin@example.com", [PortalRoles.Administrator]);
    }

    public IMailboxes Mailboxes => Services.GetRequiredService<IMailboxes>();

    public ICredentials Credentials => Services.GetRequiredService<ICredentials>();

    public IEmailSettings EmailSettings => Services.GetRequiredService<IEmailSettings>();

    public static Actor Admin => Actor.User("admin@example.com");

    /// <summary>Opens the mailbox page at its address (query parameters such as <c>?tab=credentials</c> come from the URI).</summary>
    public IRenderedComponent<MailboxPage> RenderMailboxPage(int mailboxId, string query = "")
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/configuration/email/mailboxes/{mailboxId}{query}");
        return RenderWithProviders<MailboxPage>(p => p.Add(c => c.Id, mailboxId));
    }

    public Task<MailboxDetails> CreateMailboxAsync(string name = "Support") =>
        Mailboxes.CreateAsync(name, MailboxConnectionType.Office365Azure, Admin);

    /// <summary>A valid client-credentials set (secret value, not ID).</summary>
    public Task<CredentialView> CreateCredentialAsync(int mailboxId, Action<CredentialInput>? change = null)
    {
        var input = new CredentialInput
        {
            TenantId = "8f2c6a1e-4b3d-4c5e-9f70-1a2b3c4d5e6f",
            ClientId = "2f6a5c1e-8d4b-4b8f-9a57-3c1d2e4f5a6b",
            ClientSecret = "Xy7~" + Guid.NewGuid().ToString("N"),
            SecretExpiresAt = DateTimeOffset.UtcNow.AddDays(180),
            EmailAddress = "support@contoso.com",
        };
        change?.Invoke(input);
        return Credentials.CreateAsync(mailboxId, input, Admin);
    }

    /// <summary>Puts a credential in the state a completed authorisation-code sign-in leaves it in (the engine's sign-in needs a live tenant).</summary>
    public async Task MarkSignedInAsync(int credentialId, string address)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var credential = await db.Set<MailboxCredential>().SingleAsync(c => c.Id == credentialId);
        credential.Status = CredentialStatus.Connected;
        credential.HomeAccountId = "00000000-0000-0000-0000-000000000001.8f2c6a1e-4b3d-4c5e-9f70-1a2b3c4d5e6f";
        credential.ConnectedAddress = address;
        credential.ConnectedDisplayName = "Support";
        credential.ConnectedAt = Now;
        await db.SaveChangesAsync();
    }

    /// <summary>Records a status and catalogued error as the engine's checks would.</summary>
    public async Task SetStateAsync(int credentialId, CredentialStatus status, string? errorCode)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var credential = await db.Set<MailboxCredential>().SingleAsync(c => c.Id == credentialId);
        credential.Status = status;
        credential.LastErrorCode = errorCode;
        credential.LastErrorAt = errorCode is null ? null : Clock.GetUtcNow();
        await db.SaveChangesAsync();
    }
}
