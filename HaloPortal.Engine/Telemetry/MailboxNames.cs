using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Telemetry;

/// <summary>
/// Mailbox names for the <c>mailbox.name</c> tag, so a dashboard shows "Support" rather than "1". The names are read in one query
/// for all mailboxes and kept for a minute: recording a measurement never waits for the database, except the first time a
/// mailbox is seen (a rename shows within a minute, as a new series).
/// </summary>
internal sealed class MailboxNames(IDbContextFactory<PortalDbContext> contexts, TimeProvider time, ILogger<MailboxNames> logger)
{
    private static readonly TimeSpan Fresh = TimeSpan.FromMinutes(1);

    /// <summary>A mailbox no longer in the database (deleted while its work finished).</summary>
    internal const string Unknown = "(unknown)";

    private readonly Lock _gate = new();
    private volatile Dictionary<int, string> _names = [];
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;
    private int _refreshing;

    public string Of(int mailboxId)
    {
        var names = _names;
        if (names.TryGetValue(mailboxId, out var name))
        {
            if (time.GetUtcNow() - _readAt > Fresh && Interlocked.Exchange(ref _refreshing, 1) == 0)
            {
                // Stale: answer with what is known and read again in the background.
                _ = Task.Run(() =>
                {
                    try
                    {
                        Read();
                    }
                    finally
                    {
                        Volatile.Write(ref _refreshing, 0);
                    }
                });
            }

            return name;
        }

        lock (_gate)
        {
            // Another caller may have read it meanwhile; an id still unknown after a read this second is remembered as unknown.
            if (!_names.TryGetValue(mailboxId, out name) && time.GetUtcNow() - _readAt > TimeSpan.FromSeconds(1))
            {
                Read();
            }

            if (_names.TryGetValue(mailboxId, out name))
            {
                return name;
            }

            _names = new Dictionary<int, string>(_names) { [mailboxId] = Unknown };
            return Unknown;
        }
    }

    private void Read()
    {
        try
        {
            using var db = contexts.CreateDbContext();
            _names = db.Set<Mailbox>().AsNoTracking().Select(m => new { m.Id, m.Name }).ToDictionary(m => m.Id, m => m.Name);
            _readAt = time.GetUtcNow();
        }
        catch (Exception ex)
        {
            // Metrics never break the work they measure: the tag says "(unknown)" until the next read succeeds.
            logger.LogDebug(ex, "Reading the mailbox names for metrics failed");
            _readAt = time.GetUtcNow();
        }
    }
}
