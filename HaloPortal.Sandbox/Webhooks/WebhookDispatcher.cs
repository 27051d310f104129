using System.Diagnostics;
using System.Text;
using HaloPortal.Sandbox.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Sandbox.Webhooks;

/// <summary>
/// Delivers queued change and lifecycle notifications over real HTTP, like Graph: a 2xx is success, anything else is retried
/// with growing back-off for up to <see cref="SandboxOptions.NotificationRetryHours"/>; answers slower than
/// <see cref="SandboxOptions.SlowResponseSeconds"/> are counted as slow on the subscription.
/// </summary>
internal sealed class WebhookDispatcher(
    IDbContextFactory<SandboxDbContext> contexts,
    IHttpClientFactory httpClients,
    WebhookSignal signal,
    TimeProvider time,
    IOptions<SandboxOptions> options,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan[] Backoff =
    [
        TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5),
        TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1),
    ];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await DeliverDueAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Sandbox notification delivery failed; retrying shortly");
                wait = TimeSpan.FromSeconds(5);
            }

            // Wake on a new notification, on the next due retry (by the injected clock), or after a while to look again.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = Task.Delay(wait, time, timeout.Token);
            var signalled = signal.WaitAsync(Timeout.InfiniteTimeSpan, timeout.Token);
            try
            {
                await Task.WhenAny(delay, signalled);
            }
            finally
            {
                await timeout.CancelAsync();
            }

            try
            {
                await Task.WhenAll(delay, signalled);
            }
            catch (OperationCanceledException)
            {
                // The other waiter.
            }
        }
    }

    /// <summary>Delivers everything due; returns how long until the next retry is due.</summary>
    private async Task<TimeSpan> DeliverDueAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        List<SbNotification> due;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            due = await db.Notifications.AsNoTracking()
                .Where(n => n.Status == SbNotificationStatus.Pending && n.NextAttemptAt <= now)
                .OrderBy(n => n.Id).Take(50).ToListAsync(ct);
        }

        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (n, token) => await DeliverAsync(n, token));

        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            var pending = db.Notifications.AsNoTracking().Where(n => n.Status == SbNotificationStatus.Pending);
            if (due.Count == 50)
            {
                return TimeSpan.Zero;
            }

            var next = await pending.OrderBy(n => n.NextAttemptAt).Select(n => (DateTimeOffset?)n.NextAttemptAt).FirstOrDefaultAsync(ct);
            var wait = next is null ? TimeSpan.FromMinutes(1) : next.Value - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : wait;
        }
    }

    private async Task DeliverAsync(SbNotification notification, CancellationToken ct)
    {
        var http = httpClients.CreateClient(SandboxHttpClients.Outbound);
        var watch = Stopwatch.StartNew();
        int? status = null;
        string? error = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            using var content = new StringContent(notification.Body, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(notification.Url, content, timeout.Token);
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                error = $"HTTP {status} {response.ReasonPhrase}";
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            error = ex.Message;
        }

        watch.Stop();
        var slow = watch.Elapsed.TotalSeconds > options.Value.SlowResponseSeconds;
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var row = await db.Notifications.SingleAsync(n => n.Id == notification.Id, ct);
        var subscription = await db.Subscriptions.SingleOrDefaultAsync(s => s.Id == notification.SubscriptionId, ct);
        row.Attempts++;
        row.LastStatusCode = status;
        row.LastError = error;
        row.LastDurationMs = watch.Elapsed.TotalMilliseconds;
        if (error is null)
        {
            row.Status = SbNotificationStatus.Delivered;
            row.CompletedAt = now;
            if (subscription is not null)
            {
                subscription.DeliveredCount++;
                subscription.SlowCount += slow ? 1 : 0;
            }
        }
        else
        {
            if (subscription is not null)
            {
                subscription.FailedCount++;
            }

            var next = now + Backoff[Math.Min(row.Attempts - 1, Backoff.Length - 1)];
            if (next - row.CreatedAt > TimeSpan.FromHours(options.Value.NotificationRetryHours))
            {
                row.Status = SbNotificationStatus.Failed;
                row.CompletedAt = now;
                logger.LogWarning("Sandbox gave up delivering notification {Id} to {Url} after {Attempts} attempts: {Error}", row.Id, row.Url, row.Attempts, error);
            }
            else
            {
                row.NextAttemptAt = next;
                logger.LogInformation("Sandbox notification {Id} to {Url} failed ({Error}); retrying at {Next}", row.Id, row.Url, error, next);
            }
        }

        await db.SaveChangesAsync(ct);
    }
}
