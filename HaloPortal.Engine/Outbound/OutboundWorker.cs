using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Outbound;

/// <summary>
/// The background sender: wakes when a message is queued, or when a retry is due, and sends. The queue is the
/// OutboundMessages table, so a restart resumes everything (a message caught mid-send is sent again with the same
/// Message-ID; recipients' clients and this portal's own classifier recognise the duplicate).
/// </summary>
internal sealed class OutboundWorker(
    IDbContextFactory<PortalDbContext> contexts,
    OutboundSender sender,
    OutboundSignal signal,
    TimeProvider time,
    IOptions<OutboundOptions> options,
    ILogger<OutboundWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await using (var db = await contexts.CreateDbContextAsync(stoppingToken))
            {
                var resumed = await db.Set<OutboundMessage>().Where(m => m.Status == OutboundStatus.Sending)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, OutboundStatus.Queued), stoppingToken);
                if (resumed > 0)
                {
                    logger.LogInformation("Resuming {Count} outbound message(s) interrupted while sending", resumed);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not resume interrupted outbound messages");
        }

        var poll = TimeSpan.FromSeconds(options.Value.PollSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = poll;
            try
            {
                if (await sender.SendDueAsync(stoppingToken) is { } next)
                {
                    var untilNext = next - time.GetUtcNow();
                    wait = untilNext < TimeSpan.Zero ? TimeSpan.Zero : untilNext < poll ? untilNext : poll;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "The outbound sender failed; it tries again in {Seconds} s", poll.TotalSeconds);
            }

            try
            {
                await signal.WaitAsync(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
