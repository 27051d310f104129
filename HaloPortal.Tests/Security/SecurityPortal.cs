using System.Net;
using System.Text.Json;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Tickets;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Security;

/// <summary>The real portal (sandbox on, an administrator to sign in with) and helpers to turn raw mail into tickets.</summary>
public sealed class SecurityPortalFactory : PortalAppFactory
{
    public const string Email = "security-admin@example.com";
    public const string Password = "security1admin";

    public SecurityPortalFactory()
    {
        Settings["Portal:BootstrapAdmin:Email"] = Email;
        Settings["Portal:BootstrapAdmin:Password"] = Password;
    }

    /// <summary>Delivers the raw message into the sandbox demo mailbox, imports it and returns the ticket it opened.</summary>
    internal async Task<Ticket> TicketFromAsync(string mime, string messageId)
    {
        var mail = new SandboxMail(this);
        await mail.DeliverAsync(mime);
        var report = await mail.ImportAsync();
        Assert.Null(report.Error);
        return await QueryAsync(async db =>
        {
            var email = await db.Set<InboundEmail>().AsNoTracking().SingleAsync(e => e.InternetMessageId == messageId);
            Assert.True(email.TicketId is not null, $"The email was not turned into a ticket: {email.Status} {email.Reason}");
            return await db.Set<Ticket>().AsNoTracking().Include(t => t.Messages).ThenInclude(m => m.Attachments).SingleAsync(t => t.Id == email.TicketId);
        });
    }

    internal async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        var contexts = Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await query(db);
    }

    /// <summary>A browser-like client signed in as the administrator.</summary>
    internal async Task<HttpClient> SignedInBrowserAsync()
    {
        var client = CreateBrowserClient(new CookieContainer());
        await BrowserSignIn.SignInAsync(client, Email, Password);
        return client;
    }

    /// <summary>GET /api/v1/tickets/{id}: the bodyHtml of each message.</summary>
    internal async Task<IReadOnlyList<string>> ApiBodiesAsync(int ticketId)
    {
        using var api = CreateApiClient();
        using var response = await api.GetAsync($"/api/v1/tickets/{ticketId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("bodyHtml").GetString() ?? "").ToList();
    }
}
