using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Ingestion.Sources.Scan;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Monitoring;
using HaloPortal.Engine.Tickets;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Ingestion.Scan;

/// <summary>
/// Graph answers a saved delta link with 410 SyncStateNotFound: the scan resyncs the folder from scratch, says so, and makes no
/// second ticket for anything it already recorded — with "mark read", where every processed message is still in the folder.
/// </summary>
public sealed class DeltaResyncTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private readonly SandboxMail _mail = new(app);

    private async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        var contexts = app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await query(db);
    }

    [Fact]
    public async Task An_expired_delta_link_resyncs_the_folder_without_a_duplicate_ticket()
    {
        var mailboxes = app.Services.GetRequiredService<IMailboxes>();
        var incoming = (await mailboxes.GetAsync(SandboxMail.DemoMailboxId))!.Incoming;
        await mailboxes.UpdateIncomingAsync(SandboxMail.DemoMailboxId, incoming with { ProcessedAction = ProcessedMailAction.MarkRead }, Actor.System);
        var old = new[] { SandboxMail.NewMessageId(), SandboxMail.NewMessageId(), SandboxMail.NewMessageId() };
        foreach (var id in old)
        {
            await _mail.DeliverAsync(SandboxMail.Mime("kim@customer.example", _mail.Demo.SharedMailbox, $"Before the expiry {id[..6]}", "Body.", id));
        }

        var first = await _mail.ImportAsync();
        Assert.Null(first.Error);
        Assert.Null(first.Note);
        var inbox = await _mail.Control.ListMessagesAsync(_mail.Demo.SharedMailbox, "inbox");
        Assert.All(old, id => Assert.Contains(inbox, m => m.InternetMessageId?.Contains(id) == true && m.IsRead));
        var ticketsBefore = await QueryAsync(db => db.Set<Ticket>().CountAsync());
        var requestsBefore = await QueryAsync(db => db.Set<InboundRequest>().CountAsync(r => r.InboundEmailId != null));

        var fresh = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("kim@customer.example", _mail.Demo.SharedMailbox, "After the expiry", "Body.", fresh));
        await _mail.Control.AddFaultAsync(new SandboxFaultRequest(_mail.Demo.SharedMailbox, SandboxFaultKind.ExpireDeltaTokens));

        var resync = await _mail.ImportAsync();

        Assert.Null(resync.Error);
        Assert.Empty(await _mail.Control.ListFaultsAsync());
        Assert.Contains("resynced from scratch", resync.Note);
        Assert.Contains(", 1 to process", resync.Note);
        Assert.Equal(1, resync.Fetched);
        Assert.Equal(1, resync.Created);
        Assert.Equal(ticketsBefore + 1, await QueryAsync(db => db.Set<Ticket>().CountAsync()));
        foreach (var id in old)
        {
            var email = await QueryAsync(db => db.Set<InboundEmail>().AsNoTracking().SingleAsync(e => e.InternetMessageId == id));
            Assert.Equal(1, await QueryAsync(db => db.Set<InboundRequest>().CountAsync(r => r.InboundEmailId == email.Id)));
        }

        var freshEmail = await QueryAsync(db => db.Set<InboundEmail>().AsNoTracking().SingleAsync(e => e.InternetMessageId == fresh));
        Assert.Equal(InboundStatus.Processed, freshEmail.Status);
        var request = await QueryAsync(db => db.Set<InboundRequest>().AsNoTracking().SingleAsync(r => r.InboundEmailId == freshEmail.Id));
        Assert.Contains(request.Log, l => l.Message.Contains("resyncing the folder from scratch"));
        Assert.Equal(requestsBefore + 1, await QueryAsync(db => db.Set<InboundRequest>().CountAsync(r => r.InboundEmailId != null)));

        // The resync saved a new delta link: the next scan uses it (no resync) and finds nothing new.
        var next = await _mail.ImportAsync();
        Assert.Null(next.Error);
        Assert.Null(next.Note);
        Assert.Equal(0, next.Created);
        Assert.Equal(ticketsBefore + 1, await QueryAsync(db => db.Set<Ticket>().CountAsync()));
    }

    [Fact]
    public async Task An_import_run_that_resynced_keeps_the_note_in_its_row_and_the_API_and_a_normal_one_has_none()
    {
        using var api = app.CreateApiClient();
        var normal = await WaitedImportAsync(api);
        Assert.Equal(JsonValueKind.Null, normal.GetProperty("note").ValueKind);

        await _mail.DeliverAsync(SandboxMail.Mime("kim@customer.example", _mail.Demo.SharedMailbox, "After another expiry", "Body.", SandboxMail.NewMessageId()));
        await _mail.Control.AddFaultAsync(new SandboxFaultRequest(_mail.Demo.SharedMailbox, SandboxFaultKind.ExpireDeltaTokens));
        var resync = await WaitedImportAsync(api);

        Assert.Equal(JsonValueKind.Null, resync.GetProperty("error").ValueKind);
        var note = resync.GetProperty("note").GetString();
        Assert.Contains("resynced from scratch", note);
        Assert.Contains(", 1 to process", note);
        var resyncRunId = resync.GetProperty("importRunId").GetInt64();
        var normalRunId = normal.GetProperty("importRunId").GetInt64();
        Assert.Equal(note, (await QueryAsync(db => db.Set<ImportRun>().AsNoTracking().SingleAsync(r => r.Id == resyncRunId))).Note);
        Assert.Null((await QueryAsync(db => db.Set<ImportRun>().AsNoTracking().SingleAsync(r => r.Id == normalRunId))).Note);
        Assert.Equal(note, (await api.GetFromJsonAsync<JsonElement>($"/api/v1/mailboxes/{SandboxMail.DemoMailboxId}/imports/{resyncRunId}")).GetProperty("note").GetString());
        var history = (await api.GetFromJsonAsync<JsonElement>($"/api/v1/mailboxes/{SandboxMail.DemoMailboxId}/imports")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(note, history.Single(r => r.GetProperty("id").GetInt64() == resyncRunId).GetProperty("note").GetString());
        Assert.Equal(JsonValueKind.Null, history.Single(r => r.GetProperty("id").GetInt64() == normalRunId).GetProperty("note").ValueKind);
    }

    [Fact]
    public async Task A_scheduled_scan_that_resynced_shows_on_the_mailbox_health_and_a_later_normal_scan_keeps_it()
    {
        var health = app.Services.GetRequiredService<IMailboxHealth>();
        var credentialId = await QueryAsync(db => db.Set<MailboxCredential>().Where(c => c.MailboxId == SandboxMail.DemoMailboxId).Select(c => c.Id).SingleAsync());
        // The scheduled job's scan (ScanJob -> ScanIfDueAsync -> ScanAsync with RequestKind.Scan), without waiting for it to fall due.
        var normal = await _mail.Scanner.ScanAsync(credentialId, RequestKind.Scan);
        Assert.Null(normal.Error);
        Assert.Null(normal.Note);
        var before = (await health.GetAsync(SandboxMail.DemoMailboxId))!;

        await _mail.DeliverAsync(SandboxMail.Mime("kim@customer.example", _mail.Demo.SharedMailbox, "Before a scheduled resync", "Body.", SandboxMail.NewMessageId()));
        await _mail.Control.AddFaultAsync(new SandboxFaultRequest(_mail.Demo.SharedMailbox, SandboxFaultKind.ExpireDeltaTokens));
        var resync = await _mail.Scanner.ScanAsync(credentialId, RequestKind.Scan);

        Assert.Null(resync.Error);
        Assert.Contains("resynced from scratch", resync.Note);
        var resynced = (await health.GetAsync(SandboxMail.DemoMailboxId))!;
        Assert.NotNull(resynced.LastResyncAt);
        Assert.True(resynced.LastResyncAt > before.LastSuccessfulRead);
        Assert.Equal(resynced.LastSuccessfulRead, resynced.LastResyncAt); // saved with the delta link the resync ended on
        Assert.Equal(resync.Note, resynced.LastResyncNote);

        var next = await _mail.Scanner.ScanAsync(credentialId, RequestKind.Scan);

        Assert.Null(next.Error);
        Assert.Null(next.Note);
        var after = (await health.GetAsync(SandboxMail.DemoMailboxId))!;
        Assert.True(after.LastSuccessfulRead > resynced.LastResyncAt);
        Assert.Equal(resynced.LastResyncAt, after.LastResyncAt);
        Assert.Equal(resync.Note, after.LastResyncNote);
    }

    [Fact]
    public async Task A_resync_that_stopped_before_its_end_is_finished_by_the_next_scan_and_noted_as_done()
    {
        var health = app.Services.GetRequiredService<IMailboxHealth>();
        var credentialId = await QueryAsync(db => db.Set<MailboxCredential>().Where(c => c.MailboxId == SandboxMail.DemoMailboxId).Select(c => c.Id).SingleAsync());
        Assert.Null((await _mail.Scanner.ScanAsync(credentialId, RequestKind.Scan)).Error);

        // What a resync stopped by a Graph error leaves behind: no delta link, and the "stopped" note on the folder's state.
        var stoppedAt = DateTimeOffset.UtcNow;
        await QueryAsync(db => db.Set<MailboxSyncState>().Where(s => s.CredentialId == credentialId)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.DeltaLink, (string?)null).SetProperty(s => s.LastResyncAt, stoppedAt)
                .SetProperty(s => s.LastResyncNote, MailboxScanner.ResyncStoppedNote)));
        await _mail.DeliverAsync(SandboxMail.Mime("lee@customer.example", _mail.Demo.SharedMailbox, "While the resync was stopped", "Body.", SandboxMail.NewMessageId()));
        Assert.Equal(MailboxScanner.ResyncStoppedNote, (await health.GetAsync(SandboxMail.DemoMailboxId))!.LastResyncNote);

        var resumed = await _mail.Scanner.ScanAsync(credentialId, RequestKind.Scan);

        Assert.Null(resumed.Error);
        Assert.Contains("resynced from scratch", resumed.Note);
        Assert.Equal(1, resumed.Created);
        var after = (await health.GetAsync(SandboxMail.DemoMailboxId))!;
        Assert.Equal(resumed.Note, after.LastResyncNote);
        Assert.True(after.LastResyncAt > stoppedAt);
    }

    private static async Task<JsonElement> WaitedImportAsync(HttpClient api)
    {
        var response = await api.PostAsync($"/api/v1/mailboxes/{SandboxMail.DemoMailboxId}/import?wait=true", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
