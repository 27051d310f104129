using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Ingestion;

/// <summary>Issue 14 item 5: the inbound log shows work in progress — attempts, the last error and the next attempt — and masks secrets.</summary>
public sealed class InboundProgressTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private readonly SandboxMail _mail = new(app);

    private async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        var contexts = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await query(db);
    }

    [Fact]
    public async Task A_read_Graph_answers_with_503_is_tried_again_in_the_open_and_the_processed_email_counts_every_attempt()
    {
        var id = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("Ola Berg <ola@customer.example>", _mail.Demo.SharedMailbox, "Badge reader offline", "Door 3.", id));
        // A first scan stops right after discovery (as a crash would), so the next scan reads the message before its delta query:
        // that read is the one Graph answers with a 503.
        var probe = app.Probe;
        probe.AfterStage = (stage, _) => stage == "discovered" ? throw new InvalidOperationException("Stopped after discovery.") : Task.CompletedTask;
        try
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => _mail.ImportAsync());
        }
        finally
        {
            probe.AfterStage = null;
        }

        // Graph answers 503 until the test has seen the email waiting for its next attempt.
        await _mail.Control.AddFaultAsync(new SandboxFaultRequest(_mail.Demo.SharedMailbox, SandboxFaultKind.FailRequests, Status: 503, RetryAfterSeconds: 1));
        Task<ScanReport> import;
        try
        {
            import = _mail.ImportAsync();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            InboundEmail? waiting = null;
            while (waiting is null && DateTime.UtcNow < deadline && !import.IsCompleted)
            {
                waiting = await QueryAsync(db => db.Set<InboundEmail>().AsNoTracking()
                    .SingleOrDefaultAsync(e => e.InternetMessageId == id && e.NextAttemptAt != null && e.LastError != null));
            }

            Assert.NotNull(waiting);
            Assert.Equal(InboundStatus.Pending, waiting.Status);
            Assert.Equal("ola@customer.example", waiting.From);
            Assert.True(waiting.Attempts >= 1);

            // The API refuses to replay an email that only waits for its planned attempt (the screens do not offer it either).
            var waitingId = waiting.Id;
            var requestId = await QueryAsync(db => db.Set<InboundRequest>().Where(r => r.InboundEmailId == waitingId).MaxAsync(r => r.Id));
            using var replayApi = app.CreateApiClient();
            using var refused = await replayApi.PostAsync($"/api/v1/inbound-requests/{requestId}/replay", null);
            Assert.Equal(System.Net.HttpStatusCode.Conflict, refused.StatusCode);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("is not failed", problem.GetProperty("detail").GetString());
            Assert.Equal(0, await QueryAsync(db => db.Set<InboundRequest>().CountAsync(r => r.InboundEmailId == waitingId && r.Kind == RequestKind.Replay)));
        }
        finally
        {
            await _mail.Control.ClearFaultsAsync();
        }

        Assert.Null((await import).Error);

        var email = await QueryAsync(db => db.Set<InboundEmail>().AsNoTracking().SingleAsync(e => e.InternetMessageId == id));
        var request = await QueryAsync(db => db.Set<InboundRequest>().AsNoTracking().Where(r => r.InboundEmailId == email.Id).OrderByDescending(r => r.Id).FirstAsync());
        var reads = request.Log.Count(l => l.Message.StartsWith("Fetching the raw message", StringComparison.Ordinal));
        Assert.True(reads >= 2 && email.Attempts == reads, $"attempts {email.Attempts}; log: {string.Join(" | ", request.Log.Select(l => l.Message))}");
        Assert.Equal(InboundStatus.Processed, email.Status);
        Assert.Equal(0, email.ScheduledRetries);
        Assert.Null(email.NextAttemptAt);
        Assert.Contains("HTTP 503", email.LastError);
        Assert.NotNull(email.LastErrorAt);

        Assert.Equal(RequestOutcome.Succeeded, request.Outcome);
        Assert.Contains(request.Log, l => l.Level == "Warning" && l.Message.Contains("Reading it again at"));

        using var api = app.CreateApiClient();
        var list = await api.GetFromJsonAsync<JsonElement>($"/api/v1/inbound-emails?mailboxId={SandboxMail.DemoMailboxId}&pageSize=500");
        var row = list.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("id").GetInt64() == email.Id);
        Assert.Equal(email.Attempts, row.GetProperty("attempts").GetInt32());
        Assert.Contains("HTTP 503", row.GetProperty("lastError").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("nextAttemptAt").ValueKind);
        Assert.Equal("ola@customer.example", row.GetProperty("from").GetString());
    }

    [Fact]
    public async Task Raw_data_answers_mask_the_subscription_clientState_and_the_stored_notification_keeps_it()
    {
        const string secret = "s3cret-client-state-value";
        var notification = $$$"""{"subscriptionId":"sub-1","clientState":"{{{secret}}}","changeType":"created","resourceData":{"id":"AAMk-1"}}""";
        var requestId = await QueryAsync(async db =>
        {
            var email = new InboundEmail
            {
                MailboxId = SandboxMail.DemoMailboxId, DedupeKey = "graph:" + Guid.NewGuid().ToString("N"), FoundBy = RequestKind.Webhook,
                CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow, Status = InboundStatus.Failed, Stage = InboundStage.Done,
            };
            db.Add(email);
            await db.SaveChangesAsync();
            var request = new InboundRequest
            {
                InboundEmailId = email.Id, MailboxId = email.MailboxId, Kind = RequestKind.Webhook, ReceivedAt = DateTimeOffset.UtcNow,
                Outcome = RequestOutcome.Failed, RawContentType = "application/json", RawData = Encoding.UTF8.GetBytes(notification),
            };
            db.Add(request);
            await db.SaveChangesAsync();
            return request.Id;
        });

        using var api = app.CreateApiClient();
        var raw = await api.GetStringAsync($"/api/v1/inbound-requests/{requestId}/raw");

        Assert.DoesNotContain(secret, raw);
        Assert.Equal(InboundLog.Masked, JsonDocument.Parse(raw).RootElement.GetProperty("clientState").GetString());
        Assert.Equal("sub-1", JsonDocument.Parse(raw).RootElement.GetProperty("subscriptionId").GetString());
        var stored = await QueryAsync(db => db.Set<InboundRequest>().AsNoTracking().Where(r => r.Id == requestId).Select(r => r.RawData).SingleAsync());
        Assert.Equal(notification, Encoding.UTF8.GetString(stored!));
    }

    [Theory]
    [InlineData("""{"clientState" : "a\"b"}""", """{"clientState" : "••••••"}""")]
    [InlineData("""{"value":[{"clientState":"x"},{"clientState":"y"}]}""", """{"value":[{"clientState":"••••••"},{"clientState":"••••••"}]}""")]
    [InlineData("{\"clientState\":\"cut off at 4 KB", "{\"clientState\":\"••••••\"")]
    [InlineData("""{"id":"AAMk","subject":"clientState"}""", """{"id":"AAMk","subject":"clientState"}""")]
    public void Masking_replaces_every_clientState_value_and_nothing_else(string json, string expected) =>
        Assert.Equal(expected, Encoding.UTF8.GetString(InboundLog.MaskSecrets(Encoding.UTF8.GetBytes(json))));
}
