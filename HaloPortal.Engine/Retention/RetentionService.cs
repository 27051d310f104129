using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Retention;

/// <summary>
/// The periods (one settings row) and the purge. The purge walks each table by id in batches of
/// <see cref="RetentionOptions.BatchSize"/>, each batch one short statement of its own, so the pipeline's writes interleave with
/// it instead of waiting behind one long transaction. It only touches finished records: an email still pending, processing,
/// claimed or due for a retry keeps its raw message, and nothing of a ticket (its messages and attachments) is ever purged.
/// </summary>
internal sealed class RetentionService(
    IDbContextFactory<PortalDbContext> contexts,
    TimeProvider time,
    IOptions<RetentionOptions> options,
    INotifications notifications,
    ILogger<RetentionService> logger) : IRetention
{
    private static readonly InboundStatus[] Finished = [InboundStatus.Processed, InboundStatus.Ignored, InboundStatus.Failed];
    private readonly SemaphoreSlim _running = new(1, 1);

    public async Task<RetentionState> GetAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<RetentionSettingsRow>().AsNoTracking().SingleOrDefaultAsync(cancellationToken) ?? new RetentionSettingsRow();
        return new RetentionState(row.Periods, row.LastRun);
    }

    public async Task<RetentionState> SaveAsync(RetentionPeriods periods, Actor actor, CancellationToken cancellationToken = default)
    {
        Validate(periods);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<RetentionSettingsRow>().SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            row = new RetentionSettingsRow();
            db.Add(row);
        }

        var before = row.Periods;
        row.RawMimeDays = periods.RawMimeDays;
        row.RequestDataDays = periods.RequestDataDays;
        row.RejectedNotificationDays = periods.RejectedNotificationDays;
        row.AuditDays = periods.AuditDays;
        if (before != periods)
        {
            db.Audit(time, actor, "Retention.Updated", "RetentionSettings", null, before, periods);
        }

        await db.SaveChangesAsync(cancellationToken);
        return new RetentionState(row.Periods, row.LastRun);
    }

    internal static void Validate(RetentionPeriods periods)
    {
        if (periods.Errors() is { Count: > 0 } errors)
        {
            throw new RetentionValidationException(errors);
        }
    }

    public async Task<RetentionRun> PurgeAsync(Actor actor, IProgress<RetentionRun>? progress = null, CancellationToken cancellationToken = default)
    {
        await _running.WaitAsync(cancellationToken);
        try
        {
            var run = await PurgeOnceAsync(actor, progress, cancellationToken);
            await notifications.ResolveAsync(ProblemKeys.Retention, "The data retention purge completed again.", cancellationToken);
            return run;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The screen keeps showing the last purge that completed, so a failing daily job must say so where agents look.
            logger.LogError(ex, "The retention purge by {Actor} failed", actor);
            await notifications.RaiseAsync(new ProblemReport(ProblemKeys.Retention, NotificationCategory.EmailProcessing,
                "The data retention purge failed",
                $"The purge stopped with {ex.GetType().Name}: {ex.Message} What it removed before that stays removed; the rest stays in the database until a purge completes.",
                "Check the portal's log and the database, then run Purge now on Configuration › Advanced › Data Retention.",
                "/configuration/advanced/data-retention"), CancellationToken.None);
            throw;
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task<RetentionRun> PurgeOnceAsync(Actor actor, IProgress<RetentionRun>? progress, CancellationToken cancellationToken)
    {
        var periods = (await GetAsync(cancellationToken)).Periods;
        var started = time.GetUtcNow();
        var run = new RetentionRun(started, started, actor.ToString(), 0, 0, 0, 0, false);
        var batch = options.Value.BatchSize;
        var cap = options.Value.MaxRowsPerRun;

        // Rejected notifications go first, so their raw data is not first blanked and then deleted.
        var (rejected, moreRejected) = await InBatchesAsync(cap, (after, db) => DeleteRejectedAsync(db, after, started.AddDays(-periods.RejectedNotificationDays), batch, cancellationToken),
            n => progress?.Report(run = run with { RejectedNotifications = n }), cancellationToken);
        var (mimes, moreMimes) = await InBatchesAsync(cap, (after, db) => PurgeRawMimeAsync(db, after, started.AddDays(-periods.RawMimeDays), started, batch, cancellationToken),
            n => progress?.Report(run = run with { RawMimes = n }), cancellationToken);
        var (data, moreData) = await InBatchesAsync(cap, (after, db) => PurgeRequestDataAsync(db, after, started.AddDays(-periods.RequestDataDays), started, batch, cancellationToken),
            n => progress?.Report(run = run with { RequestData = n }), cancellationToken);
        var (audit, moreAudit) = await InBatchesAsync(cap, (after, db) => DeleteAuditAsync(db, after, started.AddDays(-periods.AuditDays), batch, cancellationToken),
            n => progress?.Report(run = run with { AuditEntries = n }), cancellationToken);

        run = new RetentionRun(started, time.GetUtcNow(), actor.ToString(), mimes, data, rejected, audit, moreRejected || moreMimes || moreData || moreAudit);
        await RecordAsync(run, periods, actor, cancellationToken);
        logger.LogInformation("Retention purge by {Actor}: {RawMimes} raw messages, {RequestData} request data, {Rejected} rejected notifications and {Audit} audit entries removed{More}",
            actor, mimes, data, rejected, audit, run.MoreLeft ? "; more is left for the next run" : "");
        progress?.Report(run);
        return run;
    }

    /// <summary>Runs one kind's batches until a batch comes back short or the cap is reached. Each batch gets a fresh context.</summary>
    private async Task<(int Count, bool MoreLeft)> InBatchesAsync(int cap, Func<long, PortalDbContext, Task<(int Changed, long LastId)>> step, Action<int> report,
        CancellationToken cancellationToken)
    {
        var total = 0;
        var after = 0L;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int changed;
            long last;
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                (changed, last) = await step(after, db);
            }

            if (last == 0)
            {
                return (total, false);
            }

            total += changed;
            after = last;
            report(total);
            if (total >= cap)
            {
                return (total, true);
            }

            // Let the pipeline's writes in between batches (SQLite has one writer at a time).
            await Task.Yield();
        }
    }

    private static async Task<(int, long)> PurgeRawMimeAsync(PortalDbContext db, long after, DateTimeOffset cutoff, DateTimeOffset now, int batch, CancellationToken cancellationToken)
    {
        var ids = await db.Set<InboundEmail>()
            .Where(e => e.Id > after && e.RawMime != null && Finished.Contains(e.Status) && e.UpdatedAt < cutoff && e.NextAttemptAt == null
                        && (e.ClaimExpiresAt == null || e.ClaimExpiresAt < now))
            .OrderBy(e => e.Id).Select(e => e.Id).Take(batch).ToListAsync(cancellationToken);
        if (ids.Count == 0)
        {
            return (0, 0);
        }

        var changed = await db.Set<InboundEmail>().Where(e => ids.Contains(e.Id) && e.RawMime != null && Finished.Contains(e.Status))
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.RawMime, (byte[]?)null).SetProperty(e => e.RawPurgedAt, now), cancellationToken);
        return (changed, ids[^1]);
    }

    private static async Task<(int, long)> PurgeRequestDataAsync(PortalDbContext db, long after, DateTimeOffset cutoff, DateTimeOffset now, int batch, CancellationToken cancellationToken)
    {
        var ids = await db.Set<InboundRequest>()
            .Where(r => r.Id > after && r.RawData != null && r.Outcome != RequestOutcome.Pending && r.CompletedAt != null && r.CompletedAt < cutoff)
            .OrderBy(r => r.Id).Select(r => r.Id).Take(batch).ToListAsync(cancellationToken);
        if (ids.Count == 0)
        {
            return (0, 0);
        }

        var changed = await db.Set<InboundRequest>().Where(r => ids.Contains(r.Id) && r.Outcome != RequestOutcome.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RawData, (byte[]?)null).SetProperty(r => r.RawPurgedAt, now), cancellationToken);
        return (changed, ids[^1]);
    }

    private static async Task<(int, long)> DeleteRejectedAsync(PortalDbContext db, long after, DateTimeOffset cutoff, int batch, CancellationToken cancellationToken)
    {
        var ids = await db.Set<InboundRequest>()
            .Where(r => r.Id > after && r.Outcome == RequestOutcome.Rejected && r.InboundEmailId == null && r.ReceivedAt < cutoff)
            .OrderBy(r => r.Id).Select(r => r.Id).Take(batch).ToListAsync(cancellationToken);
        if (ids.Count == 0)
        {
            return (0, 0);
        }

        var deleted = await db.Set<InboundRequest>().Where(r => ids.Contains(r.Id) && r.Outcome == RequestOutcome.Rejected && r.InboundEmailId == null)
            .ExecuteDeleteAsync(cancellationToken);
        return (deleted, ids[^1]);
    }

    private static async Task<(int, long)> DeleteAuditAsync(PortalDbContext db, long after, DateTimeOffset cutoff, int batch, CancellationToken cancellationToken)
    {
        var ids = await db.Set<AuditEntry>().Where(e => e.Id > after && e.At < cutoff)
            .OrderBy(e => e.Id).Select(e => e.Id).Take(batch).ToListAsync(cancellationToken);
        if (ids.Count == 0)
        {
            return (0, 0);
        }

        var deleted = await db.Set<AuditEntry>().Where(e => ids.Contains(e.Id)).ExecuteDeleteAsync(cancellationToken);
        return (deleted, ids[^1]);
    }

    private async Task RecordAsync(RetentionRun run, RetentionPeriods periods, Actor actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<RetentionSettingsRow>().SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            row = new RetentionSettingsRow();
            db.Add(row);
        }

        row.LastRunStartedAt = run.StartedAt;
        row.LastRunFinishedAt = run.FinishedAt;
        row.LastRunBy = run.By;
        row.LastRunRawMimes = run.RawMimes;
        row.LastRunRequestData = run.RequestData;
        row.LastRunRejectedNotifications = run.RejectedNotifications;
        row.LastRunAuditEntries = run.AuditEntries;
        row.LastRunMoreLeft = run.MoreLeft;
        if (run.Total > 0)
        {
            // Removing audit entries is itself audited, so the log always says who shortened it and by what rule.
            db.Audit(time, actor, "Retention.Purged", "RetentionSettings", null, null,
                new { periods, run.RawMimes, run.RequestData, run.RejectedNotifications, run.AuditEntries, run.MoreLeft });
        }

        await db.SaveChangesAsync(cancellationToken);
    }
}
