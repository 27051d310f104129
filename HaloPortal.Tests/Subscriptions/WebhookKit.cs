using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Engine.Tickets;
using HaloPortal.Engine.Tokens;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HaloPortal.Tests.Subscriptions;

/// <summary>A portal whose Portal:PublicBaseUrl is its own loopback address, so the sandbox's notifications reach its receiver over real HTTP.</summary>
public class WebhookPortalFactory : PortalAppFactory
{
    public WebhookPortalFactory() => UsePublicBaseUrl(WebhookKit.FreePort());

    private protected void UsePublicBaseUrl(int port)
    {
        UseKestrel(port);
        Settings["Portal:PublicBaseUrl"] = $"http://127.0.0.1:{port}";
    }
}

/// <summary>A portal whose Portal:PublicBaseUrl points to a closed port: Graph's validation handshake cannot reach it.</summary>
public sealed class UnreachablePortalFactory : PortalAppFactory
{
    public UnreachablePortalFactory() => Settings["Portal:PublicBaseUrl"] = $"http://127.0.0.1:{WebhookKit.FreePort()}";
}

/// <summary>A portal on a fake clock (the sandbox shares it), with no PublicBaseUrl: the sandbox fallback address is used.</summary>
public sealed class FakeClockWebhookFactory : PortalAppFactory
{
    public FakeClockWebhookFactory() => ConfigureTestServices = services => services.AddSingleton<TimeProvider>(Clock);

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));
}

/// <summary>Helpers for webhook tests on the demo mailbox (id 1) and its client-credentials sandbox credential.</summary>
internal sealed class WebhookKit(PortalAppFactory app)
{
    public SandboxMail Mail { get; } = new(app);

    public ISubscriptions Subscriptions => app.Services.GetRequiredService<ISubscriptions>();

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        var contexts = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await query(db);
    }

    public Task<int> DemoCredentialIdAsync() =>
        QueryAsync(db => db.Set<MailboxCredential>().Where(c => c.MailboxId == SandboxMail.DemoMailboxId).Select(c => c.Id).SingleAsync());

    /// <summary>Switches the demo credential to Webhooks processing (as an administrator would in the editor).</summary>
    public async Task<int> UseWebhooksAsync()
    {
        var id = await DemoCredentialIdAsync();
        var credential = await QueryAsync(db => db.Set<MailboxCredential>().AsNoTracking().SingleAsync(c => c.Id == id));
        if (credential.ProcessingMethod != ProcessingMethod.Webhooks)
        {
            var input = CredentialInput.From(credential);
            input.ProcessingMethod = ProcessingMethod.Webhooks;
            await app.Services.GetRequiredService<HaloPortal.Engine.Credentials.ICredentials>().UpdateAsync(id, input, Actor.System);
        }

        return id;
    }

    /// <summary>The demo credential on Webhooks with a live subscription (created once per portal).</summary>
    public async Task<SubscriptionView> SubscribedAsync()
    {
        var id = await UseWebhooksAsync();
        var current = await Subscriptions.GetAsync(id);
        return current is { Status: not SubscriptionStatus.Cancelled } ? current : await Subscriptions.CreateAsync(id, Actor.System);
    }

    /// <summary>Whether the sandbox (Graph) still holds the subscription.</summary>
    public async Task<bool> AtGraphAsync(string graphSubscriptionId) =>
        (await Mail.Control.ListSubscriptionsAsync()).Any(s => s.Id.ToString() == graphSubscriptionId);

    public Task<int> AuditedCancellationsAsync(int subscriptionId) =>
        QueryAsync(db => db.Set<AuditEntry>().CountAsync(a => a.Action == "Subscription.Cancelled" && a.EntityId == subscriptionId.ToString()));

    public async Task<string> ClientStateAsync(string graphSubscriptionId)
    {
        var protectedState = await QueryAsync(db => db.Set<GraphSubscription>().Where(s => s.GraphSubscriptionId == graphSubscriptionId).Select(s => s.ClientStateProtected).SingleAsync());
        return app.Services.GetRequiredService<ICredentialSecrets>().Unprotect(protectedState);
    }

    public static object Notification(string subscriptionId, string? clientState, string messageId) => new
    {
        subscriptionId,
        subscriptionExpirationDateTime = "2030-01-01T00:00:00.0000000+00:00",
        changeType = "created",
        resource = $"Users/x/Messages/{messageId}",
        resourceData = new Dictionary<string, string> { ["@odata.type"] = "#Microsoft.Graph.Message", ["@odata.id"] = $"Users/x/Messages/{messageId}", ["@odata.etag"] = "W/\"1\"", ["id"] = messageId },
        clientState,
        tenantId = Guid.Empty.ToString(),
    };

    /// <summary>POSTs a batch to the receiver anonymously, as Graph does.</summary>
    public async Task<HttpResponseMessage> PostAsync(string path, params object[] items)
    {
        using var http = app.CreateApiClient(apiKey: null);
        return await http.PostAsync(path, new StringContent(JsonSerializer.Serialize(new { value = items }), Encoding.UTF8, "application/json"));
    }

    public async Task<SandboxDeliveredMessageInfo> DeliverAsync(string subject, string? from = null)
    {
        var messageId = SandboxMail.NewMessageId();
        var delivered = await Mail.DeliverAsync(SandboxMail.Mime(from ?? "dana@customer.example", Mail.Demo.SharedMailbox, subject, $"Body of {subject}.", messageId));
        return new SandboxDeliveredMessageInfo(delivered.Id, messageId);
    }

    public Task<List<InboundEmail>> EmailsAsync(SandboxDeliveredMessageInfo message) =>
        QueryAsync(db => db.Set<InboundEmail>().AsNoTracking()
            .Where(e => e.MailboxId == SandboxMail.DemoMailboxId && (e.InternetMessageId == message.InternetMessageId || e.DedupeKey == message.InternetMessageId || e.GraphMessageId == message.GraphId || e.DedupeKey == "graph:" + message.GraphId))
            .ToListAsync());

    /// <summary>Waits until the message has an email record with a ticket (or the deadline passes) and returns every record of it.</summary>
    public async Task<List<InboundEmail>> WaitForTicketAsync(SandboxDeliveredMessageInfo message, TimeSpan? deadline = null)
    {
        await WaitAsync(async () => (await EmailsAsync(message)).Any(e => e.TicketId is not null && e.Stage == InboundStage.Done), deadline ?? TimeSpan.FromSeconds(20),
            $"no ticket for message {message.InternetMessageId}");
        return await EmailsAsync(message);
    }

    public Task<int> TicketCountAsync(int ticketId) => QueryAsync(db => db.Set<Ticket>().CountAsync(t => t.Id == ticketId));

    public Task<List<InboundRequest>> RequestsAsync(long emailId) =>
        QueryAsync(db => db.Set<InboundRequest>().AsNoTracking().Where(r => r.InboundEmailId == emailId).OrderBy(r => r.Id).ToListAsync());

    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan deadline, string what)
    {
        var until = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Timed out after {deadline.TotalSeconds:F0} s: {what}.");
            }

            await Task.Delay(50);
        }
    }
}

/// <summary>A message delivered into the sandbox: its Graph id and Internet Message-ID (without angle brackets).</summary>
internal sealed record SandboxDeliveredMessageInfo(string GraphId, string InternetMessageId);
