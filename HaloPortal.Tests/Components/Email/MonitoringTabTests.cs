using Bunit;
using HaloPortal.Components.Pages.Configuration.Email.Monitoring;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Monitoring;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Tests.Components.Email;

/// <summary>The mailbox page's Monitoring tab: the health card (honest empty states, exact recorded values) and the ledger's run.</summary>
public sealed class MonitoringTabTests
{
    private static DateTimeOffset Now => PortalTestContext.Now;

    [Fact]
    public async Task A_mailbox_never_read_says_never_and_none_instead_of_blanks_and_its_ledger_explains_why_it_cannot_run()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();

        var page = ctx.RenderMailboxPage(mailbox.Id, "?tab=monitoring");

        page.WaitForElement("[data-testid='health-table']");
        Assert.NotNull(page.Find("[data-testid='health-not-connected']"));
        Assert.Equal("never", page.Find("[data-testid='health-last-read']").TextContent.Trim());
        Assert.Equal("never", page.Find("[data-testid='health-last-resync']").TextContent.Trim());
        Assert.Equal("none", page.Find("[data-testid='health-last-error']").TextContent.Trim());
        Assert.Equal("not throttled", page.Find("[data-testid='health-throttled']").TextContent.Trim());
        Assert.Equal("empty", page.Find("[data-testid='health-backlog']").TextContent.Trim());
        Assert.Equal("no credentials", page.Find("[data-testid='health-subscription']").TextContent.Trim());
        Assert.Equal("no credentials", page.Find("[data-testid='health-secret']").TextContent.Trim());
        Assert.NotNull(page.Find("[data-testid='ledger-empty']"));
        Assert.Contains("no unaccounted mail reported for this mailbox so far", page.Find("[data-testid='ledger-daily']").TextContent);

        page.Find("[data-testid='ledger-run']").Click();

        var error = page.WaitForElement("[data-testid='ledger-error']");
        Assert.Contains("Mailbox not connected", error.TextContent);
        Assert.Contains("Credentials tab", error.TextContent);
    }

    [Fact]
    public async Task The_health_card_shows_what_the_engine_recorded_for_a_connected_webhooks_mailbox()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        var credential = await ctx.CreateCredentialAsync(mailbox.Id, i =>
        {
            i.ProcessingMethod = ProcessingMethod.Webhooks;
            i.SecretExpiresAt = Now.AddDays(30);
        });
        await using (var db = await ctx.Contexts.CreateDbContextAsync())
        {
            var row = await db.Set<MailboxCredential>().SingleAsync(c => c.Id == credential.Id);
            row.Status = CredentialStatus.Failing;
            row.ConnectedAt = Now.AddDays(-1);
            row.ConnectedAddress = "support@contoso.com";
            row.LastErrorCode = "ErrorAccessDenied";
            row.LastErrorMessage = "Access to OData is disabled.";
            row.LastErrorAt = Now.AddMinutes(-1);
            row.LastWebhookReadAt = Now.AddSeconds(-20);
            db.Add(new MailboxSyncState
            {
                CredentialId = credential.Id, Folder = "inbox", DeltaLink = "https://graph.example/delta", LastScanAt = Now.AddMinutes(-5), LastSuccessAt = Now.AddMinutes(-5),
                LastResyncAt = Now.AddHours(-2), LastResyncNote = "The delta sync state had expired (Graph answered 410 SyncStateNotFound); the folder was resynced from scratch.",
            });
            db.Add(new InboundEmail { MailboxId = mailbox.Id, CredentialId = credential.Id, DedupeKey = "a@x", Status = InboundStatus.Pending, CreatedAt = Now, UpdatedAt = Now });
            db.Add(new InboundEmail
            {
                MailboxId = mailbox.Id, CredentialId = credential.Id, DedupeKey = "b@x", Status = InboundStatus.Processing, Stage = InboundStage.Discovered,
                ErrorCode = "ApplicationThrottled", NextAttemptAt = Now.AddMinutes(2), CreatedAt = Now, UpdatedAt = Now,
            });
            db.Add(new InboundEmail { MailboxId = mailbox.Id, CredentialId = credential.Id, DedupeKey = "c@x", Status = InboundStatus.Processed, Stage = InboundStage.Done, CreatedAt = Now, UpdatedAt = Now });
            db.Add(new GraphSubscription
            {
                CredentialId = credential.Id, GraphSubscriptionId = Guid.NewGuid().ToString(), Resource = "users/support@contoso.com/mailFolders('inbox')/messages",
                NotificationUrl = "https://helpdesk.example.com/api/graph/notifications", ExpiresAt = Now.AddDays(3), ClientStateProtected = "x", CreatedAt = Now,
            });
            await db.SaveChangesAsync();
        }

        var card = ctx.RenderWithProviders<MailboxHealthCard>(p => p.Add(c => c.MailboxId, mailbox.Id));

        card.WaitForElement("[data-testid='health-table']");
        Assert.Empty(card.FindAll("[data-testid='health-not-connected']"));
        Assert.Equal("2026-03-10 08:55:00", card.Find("[data-testid='health-last-read']").TextContent.Trim());
        // With webhooks the mail is read one notified email at a time: that read has its own row, and the full read says it is rare.
        Assert.Equal("2026-03-10 08:59:40", card.Find("[data-testid='health-last-webhook-read']").TextContent.Trim());
        var headers = card.FindAll("[data-testid='health-table'] th").ToList();
        var lastRead = headers.FindIndex(h => h.TextContent.Trim() == "Last successful read");
        Assert.Equal("Last webhook fetch", headers[lastRead + 1].TextContent.Trim());
        Assert.Equal("When a notified email was last read from Microsoft Graph (recorded at most every 30 seconds)", headers[lastRead + 1].GetAttribute("title"));
        Assert.Contains("catch-up scan", headers[lastRead].GetAttribute("title"));
        Assert.Contains("runs rarely", headers[lastRead].GetAttribute("title"));
        Assert.StartsWith("2026-03-10 07:00:00", card.Find("[data-testid='health-last-resync']").TextContent.Trim());
        Assert.Equal("The delta sync state had expired (Graph answered 410 SyncStateNotFound); the folder was resynced from scratch.",
            card.Find("[data-testid='health-last-resync-note']").TextContent.Trim());
        var error = card.Find("[data-testid='health-last-error']").TextContent;
        Assert.Contains("ErrorAccessDenied", error);
        Assert.Contains("Access to OData is disabled.", error);
        Assert.Contains("2026-03-10 08:59:00", error);
        Assert.Equal("2026-03-10 09:02:00", card.Find("[data-testid='health-throttled']").TextContent.Trim());
        Assert.Equal("1 pending, 1 processing", card.Find("[data-testid='health-backlog']").TextContent.Trim());
        Assert.Equal("2026-03-13 09:00:00", card.Find("[data-testid='health-subscription']").TextContent.Trim());
        Assert.Equal("2026-04-09 09:00:00", card.Find("[data-testid='health-secret']").TextContent.Trim());

        // The throttling wait is over once the clock passes it.
        ctx.Clock.Advance(TimeSpan.FromMinutes(3));
        card.Find("[data-testid='health-refresh']").Click();
        card.WaitForAssertion(() => Assert.Equal("not throttled", card.Find("[data-testid='health-throttled']").TextContent.Trim()));
    }

    [Fact]
    public async Task Only_a_webhooks_mailbox_has_a_last_webhook_fetch_row_which_says_never_until_one_is_read()
    {
        await using var ctx = new EmailTestContext();
        var scan = await ctx.CreateMailboxAsync("Scanned");
        await ctx.CreateCredentialAsync(scan.Id, i => i.ProcessingMethod = ProcessingMethod.MailboxScan);
        var webhooks = await ctx.CreateMailboxAsync("Notified");
        await ctx.CreateCredentialAsync(webhooks.Id, i =>
        {
            i.ProcessingMethod = ProcessingMethod.Webhooks;
            i.EmailAddress = "notified@contoso.com";
        });

        var scanCard = ctx.RenderWithProviders<MailboxHealthCard>(p => p.Add(c => c.MailboxId, scan.Id));
        var webhooksCard = ctx.Render<MailboxHealthCard>(p => p.Add(c => c.MailboxId, webhooks.Id));

        scanCard.WaitForElement("[data-testid='health-table']");
        Assert.Empty(scanCard.FindAll("[data-testid='health-last-webhook-read']"));
        Assert.DoesNotContain("Last webhook fetch", scanCard.Markup);
        var lastRead = Assert.Single(scanCard.FindAll("[data-testid='health-table'] th"), h => h.TextContent.Trim() == "Last successful read");
        Assert.Equal("The last delta query (scan, Import emails or a catch-up) that read the folder to its end", lastRead.GetAttribute("title"));
        webhooksCard.WaitForElement("[data-testid='health-table']");
        Assert.Equal("never", webhooksCard.Find("[data-testid='health-last-webhook-read']").TextContent.Trim());
    }

    [Fact]
    public async Task The_ledger_shows_totals_by_outcome_and_each_entry_with_its_ticket_reason_or_what_to_do()
    {
        await using var ctx = new EmailTestContext();
        LedgerEntry[] entries =
        [
            new(LedgerOutcome.Unaccounted, null, "g-1", "lost@x", "Never recorded", "ana@customer.example", Now.AddHours(-2), true, null, null, null, "In the mailbox, but the portal has no record of it."),
            new(LedgerOutcome.Ticket, 7, "g-2", "kept@x", "Printer jam", "ana@customer.example", Now.AddHours(-1), true, 3, 1042, null, null),
            new(LedgerOutcome.Ignored, 8, "g-3", "auto@x", "Out of office", "bob@customer.example", Now.AddHours(-1), false, null, null, "Auto-replies", "Caught by the rule."),
        ];
        var report = new LedgerReport(4, "Support", "inbox", Now.AddDays(-3), Now, 2, 5,
            Enum.GetValues<LedgerOutcome>().ToDictionary(o => o, o => entries.Count(e => e.Outcome == o)), entries, null);

        var totals = ctx.Render<LedgerTotals>(p => p.Add(c => c.Report, report));
        var entriesView = ctx.RenderWithProviders<LedgerEntries>(p => p.Add(c => c.Report, report).Add(c => c.MailboxId, 4));

        Assert.Contains("1", totals.Find("[data-testid='ledger-total-Unaccounted']").TextContent);
        Assert.Contains("0", totals.Find("[data-testid='ledger-total-Failed']").TextContent);
        var details = entriesView.FindAll("[data-testid='ledger-details']").Select(d => d.TextContent).ToList();
        Assert.Equal(3, details.Count);
        Assert.Contains("Import older mail (backlog)", details[0]);
        Assert.Contains("Ticket #1042", details[1]);
        Assert.Contains("Rule 'Auto-replies': Caught by the rule.", details[2]);
        Assert.Contains("/configuration/email/mailboxes/4?tab=incoming", entriesView.Markup);
    }
}
