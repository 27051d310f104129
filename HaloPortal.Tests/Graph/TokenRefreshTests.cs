using HaloPortal.Engine.Ingestion;
using HaloPortal.Tests.Ingestion;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Graph;

/// <summary>A cached token that Graph refuses (here: its lifetime ran out by the service's clock) is renewed once by the client pipeline, for every kind of call.</summary>
public sealed class TokenRefreshTests(ScanScheduleTests.FakeClockPortal app) : IClassFixture<ScanScheduleTests.FakeClockPortal>
{
    private readonly SandboxMail _mail = new(app);

    [Fact]
    public async Task A_scan_after_the_cached_token_expired_at_graph_renews_it_and_reads_the_mailbox()
    {
        Assert.Null((await _mail.ImportAsync()).Error); // the token is now in MSAL's cache

        app.Clock.Advance(TimeSpan.FromHours(2)); // Graph's clock: that token has expired; MSAL's cache does not know
        var id = SandboxMail.NewMessageId();
        await _mail.DeliverAsync(SandboxMail.Mime("late@customer.example", _mail.Demo.SharedMailbox, "After the clock moved", "body", id));
        var report = await _mail.ImportAsync();

        Assert.Null(report.Error);
        var contexts = app.Services.GetRequiredService<IDbContextFactory<HaloPortal.Engine.Data.PortalDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        Assert.Equal(InboundStatus.Processed, (await db.Set<InboundEmail>().SingleAsync(e => e.InternetMessageId == id)).Status);
    }
}
