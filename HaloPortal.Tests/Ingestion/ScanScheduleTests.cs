using HaloPortal.Engine.Ingestion;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace HaloPortal.Tests.Ingestion;

/// <summary>The recurring job asks every minute; a Mailbox-scan credential is scanned every 3 minutes plus up to 2 of jitter.</summary>
public sealed class ScanScheduleTests : IClassFixture<ScanScheduleTests.FakeClockPortal>
{
    private readonly FakeClockPortal _app;

    public ScanScheduleTests(FakeClockPortal app) => _app = app;

    public sealed class FakeClockPortal : PortalAppFactory
    {
        public FakeClockPortal()
        {
            ConfigureTestServices = services =>
            {
                services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock));
                // The recurring scan job asks "is it due?" every real minute, on this same clock: a tick of it between a test's
                // clock advance and its own call would take the due scan first. The tests ask themselves instead.
                foreach (var job in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(ScanScheduleSync)).ToList())
                {
                    services.Remove(job);
                }
            };
        }

        public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task A_scan_credential_is_due_every_three_to_five_minutes()
    {
        _ = _app.BaseAddress;
        var scanner = _app.Services.GetRequiredService<IMailboxScanner>();
        const int demoCredential = 1;

        // First sight after start-up: the first scan is spread over one interval.
        var first = await scanner.ScanIfDueAsync(demoCredential);
        Assert.StartsWith("Not due until", first.Skipped);

        _app.Clock.Advance(TimeSpan.FromMinutes(3));
        var due = await scanner.ScanIfDueAsync(demoCredential);
        Assert.Null(due.Skipped);
        Assert.Null(due.Error);

        _app.Clock.Advance(TimeSpan.FromMinutes(2.9));
        Assert.StartsWith("Not due until", (await scanner.ScanIfDueAsync(demoCredential)).Skipped);

        _app.Clock.Advance(TimeSpan.FromMinutes(2.2));
        Assert.Null((await scanner.ScanIfDueAsync(demoCredential)).Skipped);
    }
}
