using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Notifications;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Tickets;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace HaloPortal.Tests.Nodes;

/// <summary>
/// The scale-out's acceptance test: two real portal processes on one PostgreSQL database (Hangfire on it too), 1,000 mails arriving
/// by webhook and by scan at once, one node killed with SIGKILL in the middle and started again under its name: exactly one ticket
/// per mail, one Processed inbound email per mail (a second sighting is Ignored with its reason, never a ticket), the source folder empty, no acknowledgement or notification sent twice, and no 429 from
/// the sandbox with its Graph limits on (10,000 requests / 10 minutes and 4 concurrent per app and mailbox).
/// </summary>
public sealed class TwoNodeKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Mails = 1000;
    private const string Mailbox = "twonode@contoso.sandbox";
    private const string AdminEmail = "admin@twonode.test";
    private static readonly TimeSpan ProcessingDeadline = TimeSpan.FromSeconds(240);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "haloportal-tests", "twonode-" + Guid.NewGuid().ToString("N"));
    private readonly string _apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<IAsyncDisposable> _disposables = [];
    private string _logDirectory = "";

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        _logDirectory = Path.Combine(PortalNodeProcess.RepositoryRoot(), "artifacts", "twonode", DateTimeOffset.UtcNow.ToString("yyyyMMdd-HHmmss"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }

        TestProvider.Drop(_root);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open is left for the OS temp cleaner.
        }
    }

    [PostgreSqlFact]
    public async Task Two_nodes_one_killed_and_restarted_mid_stream_make_exactly_one_ticket_per_mail_and_send_nothing_twice()
    {
        // --- Two nodes on one fresh database, sharing one key-encryption certificate (the key ring is in the database).
        var connectionString = TestProvider.ConnectionString(_root);
        var certificate = Path.Combine(_root, "key-encryption.pfx");
        var certificatePassword = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=HaloPortal two-node test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var self = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            await File.WriteAllBytesAsync(certificate, self.Export(X509ContentType.Pfx, certificatePassword));
        }

        var portA = PortalNodeProcess.FreeLoopbackPort();
        var portB = PortalNodeProcess.FreeLoopbackPort();
        var a = new Uri($"http://127.0.0.1:{portA}/");
        var b = new Uri($"http://127.0.0.1:{portB}/");

        // Graph's notifications reach "the portal" through a round-robin balancer, as a load balancer would spread them over the
        // nodes: each POST goes to the next node, and to the other one when that node does not answer (it was killed).
        var balancer = await RoundRobinBalancer.StartAsync([("node-a", a), ("node-b", b)]);
        _disposables.Add(balancer);

        Dictionary<string, string> Environment(string node, string dataDirectory)
        {
            var values = new Dictionary<string, string>
            {
                ["ConnectionStrings__Portal"] = connectionString,
                ["Portal__Database__Provider"] = "PostgreSql",
                ["Portal__Hangfire__Storage"] = "PostgreSql",
                ["Portal__Node__Name"] = node,
                ["Portal__DataDirectory"] = dataDirectory,
                ["Portal__DataProtection__KeyDirectory"] = dataDirectory + "-keys",
                ["Portal__DataProtection__Certificate__Path"] = certificate,
                ["Portal__DataProtection__Certificate__Password"] = certificatePassword,
                ["Portal__PublicBaseUrl"] = balancer.Address.ToString().TrimEnd('/'),
                ["Portal__ApiKeys__0"] = _apiKey,
                ["Portal__BootstrapAdmin__Email"] = AdminEmail,
                ["Portal__BootstrapAdmin__Password"] = "TwoNode-" + _apiKey[..12],
                ["Sandbox__Enabled"] = "true",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Logging__LogLevel__HaloPortal.Engine.Nodes"] = "Information",
                ["Logging__LogLevel__HaloPortal.Engine.Outbound"] = "Information",
            };
            if (node == "node-b")
            {
                // node-a serves the one sandbox tenant (Microsoft's cloud in this test); node-b's engine calls it there. Its own sandbox
                // stays empty: it seeds no demo tenant (and so no demo mailbox).
                values["Sandbox__BaseUrl"] = a.ToString().TrimEnd('/');
                values["Sandbox__SeedDemoTenant"] = "false";
            }

            return values;
        }

        var dataA = Path.Combine(_root, "node-a");
        var dataB = Path.Combine(_root, "node-b");
        Directory.CreateDirectory(dataA);
        Directory.CreateDirectory(dataB);
        var logA = Path.Combine(_logDirectory, "node-a.log");
        var logB = Path.Combine(_logDirectory, "node-b.log");
        var nodes = await Task.WhenAll(
            PortalNodeProcess.StartAsync(portA, Environment("node-a", dataA), logA),
            PortalNodeProcess.StartAsync(portB, Environment("node-b", dataB), logB));
        var nodeA = nodes[0];
        var nodeB = nodes[1];
        _disposables.Add(nodeA);
        var nodeBHolder = new NodeHolder(nodeB);
        _disposables.Add(nodeBHolder);
        Log($"both nodes healthy (node-a {a}, node-b {b}, balancer {balancer.Address}; logs in {_logDirectory})");

        using var httpA = Client(a);
        using var httpB = Client(b);
        var contexts = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDatabase.Configure(contexts, DatabaseProvider.PostgreSql, connectionString);
        var dbOptions = contexts.Options;

        // --- The test mailbox: a shared sandbox mailbox, an app with a secret, a portal mailbox on webhooks with a subscription.
        var tenants = await GetJsonAsync(httpA, "/sandbox/api/tenants");
        var tenant = tenants.GetProperty("items").EnumerateArray().Single(t => t.GetProperty("defaultDomain").GetString() == "contoso.sandbox");
        var tenantId = tenant.GetProperty("tenantId").GetString()!;
        Assert.True(tenant.GetProperty("throttlingEnabled").GetBoolean(), "the sandbox's Graph limits must be on");
        await PostJsonAsync(httpA, $"/sandbox/api/tenants/{tenantId}/users", new { userPrincipalName = Mailbox, displayName = "Two nodes", mailboxType = "Shared" });
        var app = await PostJsonAsync(httpA, $"/sandbox/api/tenants/{tenantId}/applications", new
        {
            displayName = "Two-node test", redirectUris = Array.Empty<string>(), applicationPermissions = new[] { "Mail.ReadWrite", "Mail.Send" },
            delegatedPermissions = Array.Empty<string>(), adminConsent = true,
        });
        var appId = app.GetProperty("appId").GetString()!;
        var secret = await PostJsonAsync(httpA, $"/sandbox/api/tenants/{tenantId}/applications/{appId}/secrets", new { displayName = "test", expiresAt = DateTimeOffset.UtcNow.AddYears(1) });
        var mailboxId = (await PostJsonAsync(httpA, "/api/v1/mailboxes", new { name = "Two nodes", connectionType = "Office365Azure" })).GetProperty("id").GetInt32();
        var credentialId = (await PostJsonAsync(httpB, $"/api/v1/mailboxes/{mailboxId}/credentials", new
        {
            authMethod = "ClientCredentials", credentialType = "ClientSecret", processingMethod = "Webhooks", authority = "Sandbox", tenantId,
            clientId = appId, clientSecret = secret.GetProperty("secretValue").GetString(), secretExpiresAt = secret.GetProperty("expiresAt").GetDateTimeOffset(),
            emailAddress = Mailbox,
        })).GetProperty("id").GetInt32();
        var test = await PostJsonAsync(httpB, $"/api/v1/credentials/{credentialId}/test", new { });
        Assert.True(test.GetProperty("ok").GetBoolean(), $"node-b's Test connection through node-a's sandbox failed: {test}");
        await PostJsonAsync(httpA, $"/api/v1/credentials/{credentialId}/subscription", new { });
        await using (var db = new PortalDbContext(dbOptions))
        {
            // Acknowledgements on (off by default), so every new ticket sends one mail; the admin subscribes to error notifications.
            db.Add(new AcknowledgementSettingsRow { MailboxId = mailboxId, Enabled = true, MaxPerSenderPerHour = 100 });
            var admin = await db.Users.SingleAsync(u => u.Email == AdminEmail);
            db.Add(new AgentNotificationPreferences { UserId = admin.Id, EmailProcessingErrors = true, IntegrationErrors = true, UpdatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        Log($"mailbox {mailboxId} ({Mailbox}) on webhooks, subscribed; acknowledgements on");

        // --- 1,000 mails delivered while both nodes scan (an import on each node, in a loop) and the webhooks flow through the balancer.
        using var stop = new CancellationTokenSource();
        var imports = new ConcurrentDictionary<string, int>();
        var importErrors = new ConcurrentDictionary<string, int>();
        async Task ScanLoopAsync(string node, HttpClient client)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.PostAsync($"/api/v1/mailboxes/{mailboxId}/import?wait=true", null, stop.Token);
                    (response.IsSuccessStatusCode ? imports : importErrors).AddOrUpdate(node, 1, (_, n) => n + 1);
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Net.Sockets.SocketException or IOException)
                {
                    if (stop.IsCancellationRequested)
                    {
                        break;
                    }

                    // node-b is down. A connection to a node dying under SIGKILL can also fail with a bare SocketException
                    // ("Transport endpoint is not connected") that HttpClient does not wrap.
                    importErrors.AddOrUpdate(node, 1, (_, n) => n + 1);
                }

                try
                {
                    await Task.Delay(500, stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        var scans = Task.WhenAll(ScanLoopAsync("node-a", httpA), ScanLoopAsync("node-b", httpB));
        var deliveredAt = Stopwatch.StartNew();
        var delivered = 0;
        var delivery = Parallel.ForEachAsync(Enumerable.Range(0, Mails), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var mime = $"From: Customer {i} <customer{i}@twonode.example>\r\nTo: {Mailbox}\r\nSubject: Two-node request {i}\r\nDate: {DateTimeOffset.UtcNow:R}\r\n" +
                       $"Message-ID: <twonode-{i}@twonode.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nRequest {i}: the printer is on fire.\r\n";
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(mime));
            content.Headers.ContentType = new("message/rfc822");
            using var response = await httpA.PostAsync($"/sandbox/api/mailboxes/{Uri.EscapeDataString(Mailbox)}/messages", content, ct);
            Assert.True(response.IsSuccessStatusCode, $"delivery {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            Interlocked.Increment(ref delivered);
        });

        // --- Kill node-b (SIGKILL) once a third of the mail has become tickets, while both work, then start it again under its name.
        // node-b, not node-a: node-a also serves the sandbox tenant, which stands in for Microsoft's cloud here (its mail store, its
        // notification queue and its in-memory throttling counters); killing it would take "Graph" down with the node instead of
        // testing what the issue asks — a portal node dying while the cloud and the other node carry on.
        var killAfter = Mails / 3;
        await WaitUntilAsync(async () => await CountTicketsAsync(dbOptions, mailboxId) >= killAfter, ProcessingDeadline, "a third of the tickets before the kill",
            async () => $"{await CountTicketsAsync(dbOptions, mailboxId)} tickets, {Volatile.Read(ref delivered)} delivered");
        Log($"{killAfter} tickets {deliveredAt.Elapsed.TotalSeconds:F1} s after the delivery started");
        var atKill = await CountTicketsAsync(dbOptions, mailboxId);
        var claimedByB = await ClaimedByAsync(dbOptions, mailboxId, "node-b");
        await nodeBHolder.Node.KillAsync();
        var killedAt = _clock.Elapsed;
        Log($"killed node-b (pid {nodeBHolder.Node.ProcessId}) with SIGKILL: {atKill} tickets, {Volatile.Read(ref delivered)} delivered, {claimedByB} emails claimed by node-b and not done");
        await nodeBHolder.Node.DisposeAsync();
        nodeBHolder.Node = await PortalNodeProcess.StartAsync(portB, Environment("node-b", dataB), logB);
        Log($"node-b started again under its name in {(_clock.Elapsed - killedAt).TotalSeconds:F1} s ({await CountTicketsAsync(dbOptions, mailboxId)} tickets)");

        await delivery;
        Log($"delivered {Mails} mails in {deliveredAt.Elapsed.TotalSeconds:F1} s");

        // --- Everything done: one ticket per mail, every email Processed, the inbox empty, one acknowledgement per ticket sent.
        await WaitUntilAsync(async () =>
        {
            await using var db = new PortalDbContext(dbOptions);
            var emails = db.Set<InboundEmail>().Where(e => e.MailboxId == mailboxId);
            return await emails.CountAsync(e => e.Status == InboundStatus.Processed) >= Mails
                   && await emails.AllAsync(e => e.Stage == InboundStage.Done && (e.Status == InboundStatus.Processed || e.Status == InboundStatus.Ignored))
                   && await db.Set<OutboundMessage>().CountAsync(m => m.Kind == OutboundKind.Acknowledgement && m.Status == OutboundStatus.Sent) >= Mails
                   && await InboxCountAsync(httpA) == 0;
        }, ProcessingDeadline, "every email processed, acknowledged and moved", async () =>
        {
            await using var db = new PortalDbContext(dbOptions);
            var statuses = await db.Set<InboundEmail>().Where(e => e.MailboxId == mailboxId).GroupBy(e => e.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
            var outbound = await db.Set<OutboundMessage>().GroupBy(m => new { m.Kind, m.Status }).Select(g => new { g.Key.Kind, g.Key.Status, Count = g.Count() }).ToListAsync();
            return $"tickets {await CountTicketsAsync(dbOptions, mailboxId)}; inbound {string.Join(", ", statuses.Select(s => $"{s.Key} {s.Count}"))}; "
                   + $"outbound {string.Join(", ", outbound.Select(o => $"{o.Kind}/{o.Status} {o.Count}"))}; inbox {await InboxCountAsync(httpA)}";
        });
        var drained = deliveredAt.Elapsed;
        await stop.CancelAsync();
        await scans;

        // A last scan on each node (the safety net) finds nothing new.
        foreach (var client in new[] { httpA, httpB })
        {
            using var last = await client.PostAsync($"/api/v1/mailboxes/{mailboxId}/import?wait=true", null);
            Assert.True(last.IsSuccessStatusCode, await last.Content.ReadAsStringAsync());
        }

        // --- The counts.
        await using var check = new PortalDbContext(dbOptions);
        var tickets = await check.Set<Ticket>().Where(t => t.MailboxId == mailboxId).Select(t => new { t.Id, t.Subject }).ToListAsync();
        var inbound = await check.Set<InboundEmail>().Where(e => e.MailboxId == mailboxId)
            .Select(e => new { e.Id, e.Status, e.FoundBy, e.Node, e.InternetMessageId, e.TicketId, e.ErrorCode, e.Reason }).ToListAsync();
        var acknowledgements = await check.Set<OutboundMessage>().Where(m => m.Kind == OutboundKind.Acknowledgement)
            .Select(m => new { m.TicketId, m.Status, m.InternetMessageId, m.Node }).ToListAsync();
        var notificationMails = await check.Set<OutboundMessage>().Where(m => m.Kind == OutboundKind.Notification).Select(m => new { m.To, m.Subject }).ToListAsync();
        var notifications = await check.Set<Notification>().Select(n => new { n.UserId, n.ProblemId, n.Kind }).ToListAsync();
        var sent = (await GetJsonAsync(httpA, $"/sandbox/api/mailboxes/{Uri.EscapeDataString(Mailbox)}/folders/sentitems/messages"))
            .GetProperty("items").EnumerateArray().Select(m => m.GetProperty("internetMessageId").GetString()).ToList();
        var folders = (await GetJsonAsync(httpA, $"/sandbox/api/mailboxes/{Uri.EscapeDataString(Mailbox)}/folders")).GetProperty("items").EnumerateArray()
            .Select(f => f.ToString()).ToList();
        var throttled = (await GetJsonAsync(httpA, "/sandbox/api/tenants")).GetProperty("items").EnumerateArray()
            .Single(t => t.GetProperty("tenantId").GetString() == tenantId).GetProperty("throttledResponses").GetInt64();

        Log($"all {Mails} processed {drained.TotalSeconds:F1} s after the delivery started ({Mails / drained.TotalSeconds:F1} emails/s); test total {_clock.Elapsed.TotalSeconds:F1} s");
        Log($"tickets {tickets.Count}; inbound emails {inbound.Count}: {Counts(inbound.Select(e => e.Status.ToString()))}");
        Log($"found by {Counts(inbound.Select(e => e.FoundBy.ToString()))}; processed on {Counts(inbound.Select(e => e.Node ?? "(none)"))}");
        Log($"webhook POSTs through the balancer {Counts(balancer.Forwarded)}; refused by a dead node and sent to the other {balancer.FailedOver}");
        Log($"imports answered {Counts(imports)}, failed (node down) {Counts(importErrors)}");
        Log($"acknowledgements {acknowledgements.Count} ({Counts(acknowledgements.Select(m => m.Status.ToString()))}; sent by {Counts(acknowledgements.Select(m => m.Node ?? "(none)"))}); sent items {sent.Count}");
        Log($"agent notifications {notifications.Count}, notification mails {notificationMails.Count}; 429 answers from the sandbox {throttled}");
        Log($"folders of {Mailbox}: {string.Join(", ", folders)}");

        // A record that is not Processed is a second sighting that made no ticket: a notification for a message the other node had
        // already moved (ErrorItemNotFound) or a second copy of a Message-ID already ticketed (Duplicate). Each is shown with its reason.
        var processed = inbound.Where(e => e.Status == InboundStatus.Processed).ToList();
        var others = inbound.Except(processed).ToList();
        foreach (var other in others)
        {
            Log($"not processed: #{other.Id} {other.Status} {other.ErrorCode} found by {other.FoundBy} on {other.Node}: {other.Reason}");
        }

        Assert.Equal(Mails, tickets.Count);
        Assert.Equal(Mails, processed.Count);
        Assert.Equal(Mails, processed.Select(e => e.TicketId).Distinct().Count());
        Assert.Equal(Mails, processed.Select(e => e.InternetMessageId).Distinct().Count());
        Assert.All(others, e =>
        {
            Assert.Equal(InboundStatus.Ignored, e.Status);
            Assert.Null(e.TicketId);
            Assert.Contains(e.ErrorCode, new[] { "Duplicate", "ErrorItemNotFound" });
        });
        Assert.Equal(0, await InboxCountAsync(httpA));
        Assert.Equal(Mails, await FolderCountAsync(httpA, "Processed"));

        Assert.Equal(Mails, acknowledgements.Count);
        Assert.Equal(Mails, acknowledgements.Select(m => m.TicketId).Distinct().Count());
        Assert.All(acknowledgements, m => Assert.Equal(OutboundStatus.Sent, m.Status));
        Assert.Empty(sent.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key)); // nothing left the mailbox twice
        // Graph shows Message-IDs in angle brackets; the portal stores them without.
        var ours = acknowledgements.Select(m => $"<{m.InternetMessageId}>").ToList();
        var unsent = ours.Except(sent).ToList(); // recorded Sent, yet not in Sent Items
        var unknown = sent.Except(ours).ToList(); // in Sent Items, yet no acknowledgement of ours
        Log($"acknowledgements not in Sent Items: {string.Join(", ", unsent.Take(5))}; Sent Items that are no acknowledgement: {string.Join(", ", unknown.Take(5))}");
        Assert.Empty(unsent);
        Assert.Empty(unknown);
        Assert.Empty(notifications.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.Empty(notificationMails.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.Equal(0, throttled);
    }

    private void Log(string line) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1} s] {line}");

    private static string Counts(IEnumerable<string> values) =>
        string.Join(", ", values.GroupBy(v => v).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));

    private static string Counts(IEnumerable<KeyValuePair<string, int>> values) =>
        string.Join(", ", values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key} {v.Value}"));

    private HttpClient Client(Uri address) =>
        new() { BaseAddress = address, Timeout = TimeSpan.FromSeconds(120), DefaultRequestHeaders = { { "X-Api-Key", _apiKey } } };

    private static async Task<int> CountTicketsAsync(DbContextOptions<PortalDbContext> options, int mailboxId)
    {
        await using var db = new PortalDbContext(options);
        return await db.Set<Ticket>().CountAsync(t => t.MailboxId == mailboxId);
    }

    private static async Task<int> ClaimedByAsync(DbContextOptions<PortalDbContext> options, int mailboxId, string node)
    {
        await using var db = new PortalDbContext(options);
        return await db.Set<InboundEmail>().CountAsync(e => e.MailboxId == mailboxId && e.Node == node && e.Status != InboundStatus.Processed);
    }

    private static async Task<int> InboxCountAsync(HttpClient http) => await FolderCountAsync(http, "inbox");

    /// <summary>The number of messages in a folder named by its well-known name (inbox) or its display name (Processed).</summary>
    private static async Task<int> FolderCountAsync(HttpClient http, string folder) =>
        (await GetJsonAsync(http, $"/sandbox/api/mailboxes/{Uri.EscapeDataString(Mailbox)}/folders")).GetProperty("items").EnumerateArray()
        .Where(f => string.Equals(f.GetProperty("displayName").GetString(), folder, StringComparison.OrdinalIgnoreCase)
                    || string.Equals(f.GetProperty("wellKnownName").GetString(), folder, StringComparison.OrdinalIgnoreCase))
        .Select(f => f.GetProperty("totalCount").GetInt32())
        .Single();

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<JsonElement> PostJsonAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what, Func<Task<string>>? state = null)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > deadline)
            {
                var now = state is null ? "" : " Now: " + await state() + ".";
                throw new TimeoutException($"Not reached within {deadline.TotalSeconds:0} s: {what}.{now} Node logs: {_logDirectory}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>node-b's current process (replaced when it is started again).</summary>
    private sealed class NodeHolder(PortalNodeProcess node) : IAsyncDisposable
    {
        public PortalNodeProcess Node { get; set; } = node;

        public ValueTask DisposeAsync() => Node.DisposeAsync();
    }

    /// <summary>
    /// A minimal load balancer on a loopback port: each request goes to the next node in turn; when that node refuses the connection
    /// it goes to the other one (as nginx's proxy_next_upstream would), and only when none answers does the caller get a 502.
    /// </summary>
    private sealed class RoundRobinBalancer(WebApplication app, Uri address) : IAsyncDisposable
    {
        private static readonly HttpClient Upstream = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) }) { Timeout = TimeSpan.FromSeconds(30) };
        private readonly ConcurrentDictionary<string, int> _forwarded = new();
        private int _next;
        private int _failedOver;

        public Uri Address { get; } = address;

        public IEnumerable<KeyValuePair<string, int>> Forwarded => _forwarded;

        public int FailedOver => Volatile.Read(ref _failedOver);

        public static async Task<RoundRobinBalancer> StartAsync(IReadOnlyList<(string Name, Uri Address)> nodes)
        {
            var port = PortalNodeProcess.FreeLoopbackPort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var balancer = new RoundRobinBalancer(app, new Uri($"http://127.0.0.1:{port}/"));
            app.Run(context => balancer.ForwardAsync(context, nodes));
            await app.StartAsync();
            return balancer;
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        private async Task ForwardAsync(HttpContext context, IReadOnlyList<(string Name, Uri Address)> nodes)
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var first = Interlocked.Increment(ref _next);
            for (var attempt = 0; attempt < nodes.Count; attempt++)
            {
                var node = nodes[(first + attempt) % nodes.Count];
                using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(node.Address, context.Request.Path + context.Request.QueryString));
                request.Content = new ByteArrayContent(body.ToArray());
                if (context.Request.ContentType is { } type)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
                }

                HttpResponseMessage response;
                try
                {
                    response = await Upstream.SendAsync(request, context.RequestAborted);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref _failedOver);
                    continue;
                }

                using (response)
                {
                    _forwarded.AddOrUpdate(node.Name, 1, (_, n) => n + 1);
                    context.Response.StatusCode = (int)response.StatusCode;
                    if (response.Content.Headers.ContentType is { } contentType)
                    {
                        context.Response.ContentType = contentType.ToString();
                    }

                    await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
                    return;
                }
            }

            context.Response.StatusCode = StatusCodes.Status502BadGateway;
        }
    }
}
