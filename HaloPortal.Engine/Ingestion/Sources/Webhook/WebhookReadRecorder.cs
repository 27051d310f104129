using System.Collections.Concurrent;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Engine.Ingestion.Sources.Webhook;

/// <summary>
/// Keeps <see cref="MailboxCredential.LastWebhookReadAt"/> (the Monitoring card's "Last webhook fetch"), cheaply: at most one
/// UPDATE per credential every <see cref="Interval"/> from this node, and a conditional one, so other nodes sharing the
/// database do not write it more often either. It is bookkeeping: a failure to write it is logged and never fails the email.
/// </summary>
internal sealed class WebhookReadRecorder(IDbContextFactory<PortalDbContext> contexts, TimeProvider time, ILogger<WebhookReadRecorder> logger)
{
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    /// <summary>When this node last wrote (or found written) each credential's time.</summary>
    private readonly ConcurrentDictionary<int, DateTimeOffset> _written = new();

    /// <summary>Records that a webhook-notified message of <paramref name="credentialId"/> was just read from Graph.</summary>
    public async Task RecordAsync(int credentialId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = now - Interval;
        if (!TakeTurn(credentialId, now, due))
        {
            return;
        }

        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await db.Set<MailboxCredential>()
                .Where(c => c.Id == credentialId && (c.LastWebhookReadAt == null || c.LastWebhookReadAt < due))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastWebhookReadAt, now), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogDebug(ex, "Recording the last webhook read of credential {CredentialId} failed; the next read records it", credentialId);
        }
    }

    /// <summary>Whether this call writes: none from this node for the credential since <paramref name="due"/> (the turn is taken atomically).</summary>
    private bool TakeTurn(int credentialId, DateTimeOffset now, DateTimeOffset due)
    {
        while (true)
        {
            if (!_written.TryGetValue(credentialId, out var last))
            {
                if (_written.TryAdd(credentialId, now))
                {
                    return true;
                }
            }
            else if (last >= due)
            {
                return false;
            }
            else if (_written.TryUpdate(credentialId, now, last))
            {
                return true;
            }
        }
    }
}
