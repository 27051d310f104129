using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Components.Ingestion;

/// <summary>The CSV behind the inbound log screens' Export button (a portal route, not /api/v1).</summary>
public sealed class InboundExportEndpointTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    [Fact]
    public async Task Export_follows_the_screen_filters()
    {
        using var client = app.CreateApiClient();
        var mailbox = await app.Services.GetRequiredService<IMailboxes>().CreateAsync("Export " + Guid.NewGuid().ToString("N")[..6], MailboxConnectionType.Office365Azure, Actor.System);
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            var now = DateTimeOffset.UtcNow;
            db.AddRange(
                new InboundEmail { MailboxId = mailbox.Id, DedupeKey = "a@x", Subject = "Kept =SUM(1)", Status = InboundStatus.Failed, CreatedAt = now, UpdatedAt = now },
                new InboundEmail { MailboxId = mailbox.Id, DedupeKey = "b@x", Subject = "Filtered out", Status = InboundStatus.Processed, CreatedAt = now, UpdatedAt = now });
            await db.SaveChangesAsync();
        }

        var response = await client.GetAsync($"/inbound/export.csv?mailboxId={mailbox.Id}&status=Failed");

        response.EnsureSuccessStatusCode();
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var csv = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"Kept =SUM(1)\"", csv);
        Assert.DoesNotContain("Filtered out", csv);

        using var anonymous = app.CreateApiClient(apiKey: null);
        Assert.NotEqual(System.Net.HttpStatusCode.OK, (await anonymous.GetAsync("/inbound/export.csv")).StatusCode);
    }
}
