using HaloPortal.Engine.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Nodes;

/// <summary>Work that takes over what dead nodes left (expired claims), run by the heartbeat every <see cref="NodeOptions.RecoverySeconds"/>.</summary>
internal interface INodeRecovery
{
    Task RecoverAsync(CancellationToken cancellationToken);
}

/// <summary>Registers this node at start-up (before the sweeps, so they see it alive), beats every few seconds and runs the recoveries.</summary>
internal sealed class NodeHeartbeat(
    NodeRegistry registry,
    IServiceProvider services,
    IOptions<NodeOptions> options,
    TimeProvider time,
    ILogger<NodeHeartbeat> logger) : BackgroundService, IStartupTask
{
    public int Order => 50;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await registry.BeatAsync(cancellationToken);
        logger.LogInformation("Portal node {Node} (instance {Instance}) started; {Live} node(s) alive", registry.Name, registry.InstanceId, registry.LiveNodes);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var beat = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds);
        var recovery = TimeSpan.FromSeconds(options.Value.RecoverySeconds);
        var lastRecovery = time.GetUtcNow();
        // Resolved here, not in the constructor: the start-up task runs before the recoveries' own dependencies (the job client) are needed.
        var recoveries = services.GetServices<INodeRecovery>().ToList();
        try
        {
            // One delay per beat, not a PeriodicTimer: a clock that jumps (a test's fake clock moved by 60 days, a VM resumed) makes one
            // beat, not one per period missed.
            while (true)
            {
                await Task.Delay(beat, time, stoppingToken);
                try
                {
                    await registry.BeatAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "The heartbeat of node {Node} failed; it tries again in {Seconds} s", registry.Name, beat.TotalSeconds);
                    continue;
                }

                if (time.GetUtcNow() - lastRecovery < recovery)
                {
                    continue;
                }

                lastRecovery = time.GetUtcNow();
                foreach (var task in recoveries)
                {
                    try
                    {
                        await task.RecoverAsync(stoppingToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        logger.LogError(ex, "Recovery {Task} failed; it runs again in {Seconds} s", task.GetType().Name, recovery.TotalSeconds);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await registry.StopAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Node {Node} could not record its stop; its work is taken over after the heartbeat timeout", registry.Name);
        }
    }
}
