using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Ingestion.Sources.Webhook;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Subscriptions;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Tests.Ingestion.Webhook;

/// <summary>Durable first: a notification acknowledged just before a restart is processed by the next start.</summary>
public sealed class WebhookRestartTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task A_restart_between_acknowledgement_and_processing_loses_nothing_and_a_scan_recognises_notified_mail()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "haloportal-tests", Guid.NewGuid().ToString("N"));
        try
        {
            SandboxDeliveredMessageInfo pending;
            await using (var paused = new PortalAppFactory(dataDir))
            {
                paused.Settings["Portal:Webhooks:PauseProcessing"] = "true";
                var kit = new WebhookKit(paused);
                var subscription = await kit.SubscribedAsync();

                // Notified first (not processed: paused), then a scan finds the same message: one record, one ticket.
                var notified = await kit.DeliverAsync("Restart: notified, then scanned");
                await WebhookKit.WaitAsync(async () => (await kit.EmailsAsync(notified)).Count == 1, TimeSpan.FromSeconds(20), "notification acknowledged");
                Assert.Equal("graph:" + notified.GraphId, Assert.Single(await kit.EmailsAsync(notified)).DedupeKey);
                await kit.Mail.Scanner.ScanAsync(subscription.CredentialId, RequestKind.Scan);
                var scanned = Assert.Single(await kit.EmailsAsync(notified));
                Assert.Equal(RequestKind.Webhook, scanned.FoundBy);
                Assert.Equal(notified.InternetMessageId, scanned.DedupeKey);
                Assert.NotNull(scanned.TicketId);

                pending = await kit.DeliverAsync("Restart: acknowledged before the restart");
                await WebhookKit.WaitAsync(async () => (await kit.EmailsAsync(pending)).Count == 1, TimeSpan.FromSeconds(20), "notification acknowledged");
                Assert.Equal(InboundStage.Discovered, Assert.Single(await kit.EmailsAsync(pending)).Stage);
            }

            await using var restarted = new PortalAppFactory(dataDir);
            var after = new WebhookKit(restarted);
            _ = restarted.BaseAddress;

            try
            {
                await after.WaitForTicketAsync(pending, TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                foreach (var e in await after.EmailsAsync(pending))
                {
                    output.WriteLine($"email {e.Id} {e.Status} {e.Stage} {e.Reason} {e.NextAttemptAt}");
                    foreach (var r in await after.RequestsAsync(e.Id))
                    {
                        output.WriteLine($"  request {r.Id} {r.Kind} {r.Outcome} {string.Join(" | ", r.Log.Select(l => l.Message))}");
                    }
                }

                throw;
            }
            var email = Assert.Single(await after.EmailsAsync(pending));
            Assert.Equal(RequestKind.Webhook, email.FoundBy);
            Assert.Equal(1, await after.QueryAsync(db => db.Set<InboundEmail>().CountAsync(e => e.TicketId == email.TicketId)));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TestProvider.Drop(dataDir);
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
                // Left for the temp cleaner.
            }
        }
    }
}
