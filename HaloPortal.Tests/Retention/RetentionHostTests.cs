using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hangfire;
using Hangfire.Storage;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Retention;
using HaloPortal.Engine.Tickets;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Retention;

/// <summary>Retention in the running portal: the daily job is scheduled, and a purged email says so in the log and the API while its ticket stays whole.</summary>
public sealed class RetentionHostTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private readonly SandboxMail _mail = new(app);

    [Fact]
    public void The_daily_purge_is_a_recurring_job_at_the_configured_hour()
    {
        var job = Assert.Single(app.Services.GetRequiredService<JobStorage>().GetConnection().GetRecurringJobs(), j => j.Id == RetentionJob.JobId);
        Assert.Equal(Cron.Daily(3), job.Cron);
    }

    [Fact]
    public async Task A_purged_email_keeps_its_ticket_and_the_log_and_the_API_say_retention_removed_the_raw_message()
    {
        var messageId = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("jane@customer.example", _mail.Demo.SharedMailbox, "Retention", "Keep my ticket.", messageId));
        await _mail.ImportAsync();
        var contexts = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        long emailId;
        await using (var db = await contexts.CreateDbContextAsync())
        {
            var email = await db.Set<InboundEmail>().SingleAsync(e => e.InternetMessageId == messageId);
            Assert.Equal(InboundStatus.Processed, email.Status);
            emailId = email.Id;

            // Age it past the default 30 days instead of waiting a month.
            var old = DateTimeOffset.UtcNow.AddDays(-40);
            await db.Set<InboundEmail>().Where(e => e.Id == emailId).ExecuteUpdateAsync(s => s.SetProperty(e => e.UpdatedAt, old).SetProperty(e => e.CreatedAt, old));
            await db.Set<InboundRequest>().Where(r => r.InboundEmailId == emailId).ExecuteUpdateAsync(s => s.SetProperty(r => r.CompletedAt, old));
        }

        using var client = app.CreateApiClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/inbound-emails/{emailId}/mime")).StatusCode);

        var run = await app.Services.GetRequiredService<IRetention>().PurgeAsync(Actor.User("admin@example.com"));
        Assert.True(run.RawMimes >= 1);

        using var mime = await client.GetAsync($"/api/v1/inbound-emails/{emailId}/mime");
        Assert.Equal(HttpStatusCode.NotFound, mime.StatusCode);
        var problem = await mime.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Removed by data retention", problem.GetProperty("title").GetString());
        var details = await client.GetFromJsonAsync<JsonElement>($"/api/v1/inbound-emails/{emailId}");
        Assert.False(details.GetProperty("hasRawMime").GetBoolean());
        Assert.True(details.TryGetProperty("rawPurgedAt", out var purgedAt) && purgedAt.ValueKind == JsonValueKind.String);
        Assert.All(details.GetProperty("requests").EnumerateArray(), r => Assert.Equal(JsonValueKind.String, r.GetProperty("rawPurgedAt").ValueKind));

        var ticketId = details.GetProperty("ticketId").GetInt32();
        var ticket = await client.GetFromJsonAsync<JsonElement>($"/api/v1/tickets/{ticketId}");
        Assert.Contains("Keep my ticket.", ticket.GetProperty("messages")[0].GetProperty("bodyText").GetString());
    }
}
