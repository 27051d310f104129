using Hangfire.AspNetCore;
using Hangfire.Logging;

namespace HaloPortal.Hosting;

/// <summary>
/// Hangfire's log provider is process-wide (static), while each host has its own logger factory. When a host stops while
/// another runs in the same process (integration tests), Hangfire would log through the stopped host's disposed factory and
/// fail the caller's job creation. This provider drops such log lines instead.
/// </summary>
internal sealed class HangfireLogProvider(ILoggerFactory loggerFactory) : ILogProvider
{
    private readonly AspNetCoreLogProvider _inner = new(loggerFactory);

    public ILog GetLogger(string name)
    {
        try
        {
            return new SafeLog(_inner.GetLogger(name));
        }
        catch (ObjectDisposedException)
        {
            return new SafeLog(null);
        }
    }

    private sealed class SafeLog(ILog? inner) : ILog
    {
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            try
            {
                return inner?.Log(logLevel, messageFunc, exception) ?? false;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}
