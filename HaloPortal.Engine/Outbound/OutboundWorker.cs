using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Outbound;

/// <summary>
/// The background sender: wakes when a message is queued, or when a retry is due, and sends. The queue is the
/// OutboundMessages table, so a restart resumes everything (a message caught mid-send is sent again with the same
/// Message-ID; recipients' clients and this portal's own classifier recognise the duplicate). Several nodes share the table:
/// each message is claimed by one, and only a stopped or dead node's messages are taken over.
/// </summary>
internal sealed class OutboundWorker(
    OutboundSender sender,
    OutboundSignal signal,
    TimeProvider time,
    IOptions<OutboundOptions> options,
    ILogger<OutboundWorker> logger) : BackgroundService, Nodes.INodeRecovery
{
    /// <summary>With the node's recoveries: a dead node's messages caught mid-send are queued again and this sender woken.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var resumed = await sender.RecoverAsync(cancellationToken);
        if (resumed > 0)
        {
            logger.LogInformation("Resuming {Count} outbound message(s) a stopped portal node left sending", resumed);
            signal.Wake();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await RecoverAsync(stoppingToken);
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
