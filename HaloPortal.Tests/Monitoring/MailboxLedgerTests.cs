using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Monitoring;
using HaloPortal.Engine.Notifications;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;
using Hangfire;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Monitoring;

/// <summary>
/// The ledger lists the real (sandbox) folder through Graph and matches it with the inbound records: clean after an import, and a
/// message whose record was deleted from the database is flagged unaccounted — by the API, and by the daily check's problem.
/// </summary>
public sealed class MailboxLedgerTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private readonly SandboxMail _mail = new(app);

    private async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        var contexts = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await query(db);
    }

    private Task<Problem?> LedgerProblemAsync() =>
        QueryAsync(db => db.Set<Problem>().AsNoTracking().Where(p => p.Key == ProblemKeys.Ledger(SandboxMail.DemoMailboxId)).OrderByDescending(p => p.Id).FirstOrDefaultAsync());

    [Fact]
    public async Task The_ledger_is_clean_after_an_import_and_flags_a_message_whose_record_was_deleted()
    {
        var mailboxes = app.Services.GetRequiredService<IMailboxes>();
        var incoming = (await mailboxes.GetAsync(SandboxMail.DemoMailboxId))!.Incoming;
        // Mark read keeps processed mail in the folder, so the ledger sees each message and its record.
        await mailboxes.UpdateIncomingAsync(SandboxMail.DemoMailboxId, incoming with { ProcessedAction = ProcessedMailAction.MarkRead }, Actor.System);
        var kept = SandboxMail.NewMessageId();
        var lost = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("ana@customer.example", _mail.Demo.SharedMailbox, "Ledger: kept", "Body.", kept));
        await _mail.DeliverAsync(SandboxMail.Mime("ana@customer.example", _mail.Demo.SharedMailbox, "Ledger: lost", "Body.", lost));
        Assert.Null((await _mail.ImportAsync()).Error);
        var ledger = app.Services.GetRequiredService<IMailboxLedger>();

        var clean = (await ledger.RunAsync(SandboxMail.DemoMailboxId))!;

        Assert.Null(clean.Error);
        Assert.True(clean.Clean);
        var inFolder = (await _mail.Control.ListMessagesAsync(_mail.Demo.SharedMailbox, "inbox")).Count;
        Assert.Equal(inFolder, clean.InFolder);
        var keptEntry = Assert.Single(clean.Entries, e => e.InternetMessageId == kept);
        Assert.Equal(LedgerOutcome.Ticket, keptEntry.Outcome);
        Assert.True(keptEntry.InFolder);
        Assert.NotNull(keptEntry.TicketNumber);
        await ledger.CheckAllAsync();
        Assert.Null(await LedgerProblemAsync());
        Assert.Null(await ledger.LastVerdictAsync(SandboxMail.DemoMailboxId));

        await QueryAsync(db => db.Set<InboundEmail>().Where(e => e.InternetMessageId == lost).ExecuteDeleteAsync());
        var flagged = (await ledger.RunAsync(SandboxMail.DemoMailboxId))!;

        Assert.False(flagged.Clean);
        Assert.Equal(1, flagged.Unaccounted);
        var unaccounted = Assert.Single(flagged.Entries, e => e.Outcome == LedgerOutcome.Unaccounted);
        Assert.Equal("Ledger: lost", unaccounted.Subject);
        Assert.Equal(lost, unaccounted.InternetMessageId);
        Assert.Null(unaccounted.InboundEmailId);
        Assert.Equal(LedgerOutcome.Ticket, Assert.Single(flagged.Entries, e => e.InternetMessageId == kept).Outcome);

        // The REST API reports the same, for an Administrator key.
        using var api = app.CreateApiClient();
        using var response = await api.GetAsync($"/api/v1/mailboxes/{SandboxMail.DemoMailboxId}/ledger");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, body.RootElement.GetProperty("unaccounted").GetInt32());
        Assert.Equal(1, body.RootElement.GetProperty("totals").GetProperty("Unaccounted").GetInt32());
        Assert.Contains(body.RootElement.GetProperty("items").EnumerateArray(),
            i => i.GetProperty("outcome").GetString() == "Unaccounted" && i.GetProperty("subject").GetString() == "Ledger: lost");

        // The daily check raises the mailbox's ledger problem; a backlog import records the message and the next check resolves it.
        await ledger.CheckAllAsync();
        var problem = await LedgerProblemAsync();
        Assert.NotNull(problem);
        Assert.Null(problem.ResolvedAt);
        Assert.Contains("1 message", problem.Message);
        Assert.Contains("Ledger: lost", problem.Message);
        var open = await ledger.LastVerdictAsync(SandboxMail.DemoMailboxId);
        Assert.False(open!.Clean);
        Assert.Equal(problem.Message, open.Message);

        Assert.Null((await _mail.Scanner.ImportAsync(SandboxMail.DemoMailboxId, new BacklogImport(DateTimeOffset.UtcNow.AddDays(-1), 500))).Error);
        Assert.True((await ledger.RunAsync(SandboxMail.DemoMailboxId))!.Clean);
        await ledger.CheckAllAsync();
        Assert.NotNull((await LedgerProblemAsync())!.ResolvedAt);
        Assert.True((await ledger.LastVerdictAsync(SandboxMail.DemoMailboxId))!.Clean);
    }

    [Fact]
    public async Task The_ledger_API_needs_the_support_or_administrator_role_and_answers_problems()
    {
        using var anonymous = app.CreateApiClient(apiKey: null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/v1/mailboxes/{SandboxMail.DemoMailboxId}/ledger")).StatusCode);

        var keys = app.Services.GetRequiredService<IApiKeys>();
        using var agent = app.CreateApiClient((await keys.CreateAsync("agent script", PortalRoles.Agent, Actor.System)).Key);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync($"/api/v1/mailboxes/{SandboxMail.DemoMailboxId}/ledger")).StatusCode);

        using var support = app.CreateApiClient((await keys.CreateAsync("support script", PortalRoles.Support, Actor.System)).Key);
        Assert.Equal(HttpStatusCode.OK, (await support.GetAsync($"/api/v1/mailboxes/{SandboxMail.DemoMailboxId}/ledger")).StatusCode);

        using var missing = await support.GetAsync("/api/v1/mailboxes/999999/ledger");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);

        var unconnected = await app.Services.GetRequiredService<IMailboxes>().CreateAsync("Not connected", MailboxConnectionType.Office365Azure, Actor.System);
        using var conflict = await support.GetAsync($"/api/v1/mailboxes/{unconnected.Id}/ledger");
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        var problem = await conflict.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("NotConnected", problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("fix").GetString()));
    }

    [Fact]
    public void The_daily_ledger_is_a_recurring_job_with_a_fixed_id() =>
        Assert.Contains(app.Services.GetRequiredService<JobStorage>().GetConnection().GetRecurringJobs(), j => j.Id == LedgerSchedule.JobId);
}
