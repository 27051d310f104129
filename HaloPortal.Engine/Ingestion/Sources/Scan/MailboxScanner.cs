using System.Text.Json;
using HaloPortal.Engine.BackendServices;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Nodes;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Kiota.Abstractions.Serialization;
using Mailbox = HaloPortal.Engine.Mailboxes.Mailbox;

namespace HaloPortal.Engine.Ingestion.Sources.Scan;

internal sealed partial class MailboxScanner(
    IDbContextFactory<PortalDbContext> contexts,
    IGraphClients graph,
    InboundProcessor processor,
    NodeLeases leases,
    IBackendServices backendServices,
    TimeProvider time,
    IOptions<IngestionOptions> options,
    IOptions<PortalOptions> portal,
    ILogger<MailboxScanner> logger,
    IEnumerable<Credentials.ICredentialStatusObserver> statusObservers,
    Telemetry.PortalTelemetry telemetry) : IMailboxScanner
{
    /// <summary>The lease kind of a mailbox's scan: one node at a time reads a mailbox.</summary>
    internal const string LeaseKind = "mailbox-scan";

    private static readonly string[] DeltaSelect = ["id", "internetMessageId", "subject", "from", "receivedDateTime", "isRead"];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, SemaphoreSlim> _running = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, DateTimeOffset> _nextDue = new();

    public async Task<ScanReport> ImportAsync(int mailboxId, BacklogImport? backlog = null, IProgress<ScanProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var here = portal.Value.Instance;
        var credential = await db.Set<MailboxCredential>().AsNoTracking().SingleOrDefaultAsync(c => c.MailboxId == mailboxId && c.Instance == here, cancellationToken);
        if (credential is null)
        {
            return new ScanReport(0, 0, 0, 0, 0, 0, null, $"This mailbox has no {here} credentials: add them on the Credentials tab first.");
        }

        return await ScanAsync(credential.Id, RequestKind.ManualImport, backlog, progress, cancellationToken);
    }

    public async Task<ScanReport> ScanIfDueAsync(int credentialId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        if (!_nextDue.TryGetValue(credentialId, out var due))
        {
            // First sight of this credential since start-up: spread the first scans over one interval instead of all at once
            // (unfinished mail is resumed at start-up by the sweep, not by this schedule).
            var interval = await IntervalAsync(credentialId, cancellationToken);
            _nextDue[credentialId] = due = now + TimeSpan.FromMinutes(Random.Shared.NextDouble() * interval);
        }

        if (now < due)
        {
            return new ScanReport(0, 0, 0, 0, 0, 0, null, $"Not due until {due:HH:mm:ss}.");
        }

        var jitter = options.Value.ScanJitterMinutes <= 0 ? 0 : Random.Shared.NextDouble() * options.Value.ScanJitterMinutes;
        _nextDue[credentialId] = now + TimeSpan.FromMinutes(await IntervalAsync(credentialId, cancellationToken) + jitter);

        return await ScanAsync(credentialId, RequestKind.Scan, null, null, cancellationToken);
    }

    /// <summary>Minutes between scheduled scans: the mailbox scan interval, or the slower safety scan for webhook credentials.</summary>
    private async Task<int> IntervalAsync(int credentialId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var processing = await db.Set<MailboxCredential>().Where(c => c.Id == credentialId).Select(c => (ProcessingMethod?)c.ProcessingMethod).SingleOrDefaultAsync(cancellationToken);
        return processing == ProcessingMethod.Webhooks ? options.Value.SafetyScanIntervalMinutes : options.Value.ScanIntervalMinutes;
    }

    public async Task<ScanReport> ScanAsync(int credentialId, RequestKind kind, BacklogImport? backlog = null, IProgress<ScanProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var services = await backendServices.GetAsync(cancellationToken);
        if (!services.IngestionRunning)
        {
            return new ScanReport(0, 0, 0, 0, 0, 0, null, "The Incoming or Scheduling service is off (Configuration > Advanced > Backend Services): nothing was read.");
        }

        MailboxCredential? credential;
        Mailbox? mailbox;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            credential = await db.Set<MailboxCredential>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == credentialId, cancellationToken);
            mailbox = credential is null ? null : await db.Set<Mailbox>().AsNoTracking().SingleOrDefaultAsync(m => m.Id == credential.MailboxId, cancellationToken);
        }

        if (credential is null || mailbox is null)
        {
            return new ScanReport(0, 0, 0, 0, 0, 0, null, "The credential no longer exists.");
        }

        if (credential.Instance != portal.Value.Instance)
        {
            return new ScanReport(0, 0, 0, 0, 0, 0, null, $"These are {credential.Instance} credentials; this deployment processes {portal.Value.Instance} only.");
        }

        if (!mailbox.IncomingEnabled && kind == RequestKind.Scan)
        {
            return new ScanReport(0, 0, 0, 0, 0, 0, null, "Incoming mail is switched off for this mailbox.");
        }

        if (credential.DisconnectedAt is not null)
        {
            return new ScanReport(0, 0, 0, 0, 0, 0, null, "The credential is disconnected, so no mail is read: Test connection (or sign in) connects it again.");
        }

        if (credential.TargetAddress is null)
        {
            return new ScanReport(0, 0, 0, 0, 0, 0, null, "The credential is not connected yet: test the connection or sign in first.");
        }

        using (await LockAsync(credentialId, cancellationToken))
        {
            var key = mailbox.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await using var lease = await leases.TryAcquireAsync(LeaseKind, key, cancellationToken);
            if (lease is null)
            {
                var holder = await leases.HolderAsync(LeaseKind, key, cancellationToken);
                return new ScanReport(0, 0, 0, 0, 0, 0, null,
                    $"Portal node {holder ?? "(another)"} is reading this mailbox right now; nothing was read here (its scan takes what is new).");
            }

            // Losing the lease (this node stalled past its expiry and another took over) stops this scan.
            using var work = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Lost);
            return await RunAsync(credential, mailbox, kind, backlog, progress, work.Token);
        }
    }

    /// <summary>One pipeline run per credential at a time: scans and webhook processing take turns, so an email is never processed twice at once.</summary>
    internal async Task<IDisposable> LockAsync(int credentialId, CancellationToken cancellationToken)
    {
        var gate = _running.GetOrAdd(credentialId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Releaser(gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }

    private async Task<ScanReport> RunAsync(MailboxCredential credential, Mailbox mailbox, RequestKind kind, BacklogImport? backlog, IProgress<ScanProgress>? progress, CancellationToken cancellationToken)
    {
        // The scan is its own trace; each email it finds is a trace of its own that links back to it.
        using var activity = telemetry.Source.StartActivity("mailbox.scan");
        activity?.SetTag("mailbox.id", mailbox.Id);
        activity?.SetTag("scan.kind", kind.ToString());
        var address = credential.TargetAddress!;
        var client = graph.For(credential);
        var total = new BatchOutcome();
        var fetched = 0;
        var processed = 0;
        // Graph reports receivedDateTime to the second: compare at that precision.
        var connected = credential.ConnectedAt ?? credential.CreatedAt;
        var cutoff = backlog?.Since ?? new DateTimeOffset(connected.UtcTicks - connected.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var cap = backlog is null ? int.MaxValue : Math.Min(backlog.Cap, options.Value.MaxBacklog);
        Resync? resync = null;
        try
        {
            // Resume anything a crash or a transient failure left behind first.
            var leftovers = await LeftoversAsync(mailbox.Id, kind, cancellationToken);
            if (leftovers.Count > 0)
            {
                logger.LogInformation("Mailbox {Mailbox}: resuming {Count} unfinished email(s)", mailbox.Name, leftovers.Count);
                total.Add(await processor.ProcessAsync(credential, mailbox, leftovers, cancellationToken));
                processed += leftovers.Count;
            }

            var state = await LoadStateAsync(credential.Id, mailbox.SourceFolder, cancellationToken);
            var deltaLink = backlog is null ? state?.DeltaLink : null;
            if (backlog is null && state is { DeltaLink: null })
            {
                // Only a resync clears a saved link, and only its end saves a new one: a row without a link is a resync that stopped
                // before its end (a Graph error, a cancellation, a crash). This full read is its remainder, handled and noted as a
                // resync, so the Monitoring card no longer says it is unfinished once it is done.
                logger.LogInformation("Mailbox {Mailbox}: continuing the resync of the folder that stopped before its end", mailbox.Name);
                resync = new Resync();
            }

            var folder = client.Users[address].MailFolders[mailbox.SourceFolder].Messages.Delta;
            Microsoft.Graph.Users.Item.MailFolders.Item.Messages.Delta.DeltaGetResponse? page;
            Task<Microsoft.Graph.Users.Item.MailFolders.Item.Messages.Delta.DeltaGetResponse?> FullDeltaAsync() =>
                GraphCall.RunAsync(() => folder.GetAsDeltaGetResponseAsync(r =>
                {
                    r.QueryParameters.Select = DeltaSelect;
                    r.Headers.Add("Prefer", $"odata.maxpagesize={options.Value.PageSize}");
                }, cancellationToken));
            try
            {
                page = deltaLink is not null
                    ? await GraphCall.RunAsync(() => folder.WithUrl(deltaLink).GetAsDeltaGetResponseAsync(PageSize, cancellationToken))
                    : await FullDeltaAsync();
            }
            catch (CredentialException ex) when (deltaLink is not null && ex.Error.Code == KnownErrors.SyncStateExpired)
            {
                // Graph dropped the folder's sync state (410 Gone): forget the saved link and read the whole folder again. Every
                // message comes back; discovery recognises those already recorded (by Message-ID or Graph id) and skips them.
                logger.LogWarning("Mailbox {Mailbox}: delta sync state expired ({Code}); resyncing the folder from scratch", mailbox.Name, ex.Error.Code);
                await ClearStateAsync(credential.Id, mailbox.SourceFolder, cancellationToken);
                resync = new Resync();
                page = await FullDeltaAsync();
            }
            catch (CredentialException ex) when (deltaLink is not null && ex.Error.Kind is ErrorKind.Unknown or ErrorKind.Configuration && ex.Error.Code is not "ErrorInvalidUser" and not "MailboxNotEnabledForRESTAPI")
            {
                logger.LogWarning("Mailbox {Mailbox}: the saved delta link was refused ({Code}); starting a full delta", mailbox.Name, ex.Error.Code);
                page = await FullDeltaAsync();
            }

            while (page is not null)
            {
                var candidates = (page.Value ?? [])
                    .Where(m => m.AdditionalData?.ContainsKey("@removed") != true && m.Id is not null)
                    .Where(m => m.ReceivedDateTime is null || m.ReceivedDateTime >= cutoff)
                    .OrderBy(m => m.ReceivedDateTime)
                    .Take(Math.Max(0, cap - fetched))
                    .ToList();
                var work = await DiscoverAsync(mailbox.Id, credential.Id, kind, candidates, resync is not null, cancellationToken);
                fetched += work.Count;
                if (resync is not null)
                {
                    resync.Listed += candidates.Count;
                    resync.AlreadyRecorded += candidates.Count - work.Count;
                }

                progress?.Report(new ScanProgress(fetched, processed, "Processing"));

                // The next page is read while this one is processed (its messages are discovered only after this page is done).
                var nextPage = fetched < cap && page.OdataNextLink is { } next
                    ? GraphCall.RunAsync(() => folder.WithUrl(next).GetAsDeltaGetResponseAsync(PageSize, cancellationToken))
                    : null;
                try
                {
                    total.Add(await processor.ProcessAsync(credential, mailbox, work, cancellationToken));
                }
                catch when (nextPage is not null)
                {
                    _ = nextPage.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    throw;
                }

                processed += work.Count;
                progress?.Report(new ScanProgress(fetched, processed, "Reading the mailbox"));

                if (fetched >= cap)
                {
                    break;
                }

                if (nextPage is not null)
                {
                    page = await nextPage;
                    continue;
                }

                if (backlog is null && page.OdataDeltaLink is { } newDelta)
                {
                    await SaveStateAsync(credential.Id, mailbox.SourceFolder, newDelta, resync is null ? null : ResyncNote(resync, fetched), cancellationToken);
                }

                break;
            }

            await RecordHealthAsync(credential.Id, null, cancellationToken);
            progress?.Report(new ScanProgress(fetched, processed, "Done"));
            var note = resync is null ? null : ResyncNote(resync, fetched);
            if (note is not null)
            {
                logger.LogInformation("Mailbox {Mailbox}: {Note}", mailbox.Name, note);
            }

            return new ScanReport(fetched, total.Created, total.Updated, total.Ignored, total.Failed, total.Pending, null) { Failures = total.Failures, Note = note };
        }
        catch (CredentialException ex)
        {
            var error = DelegateAccess.Explain(credential, ex.Error);
            logger.LogWarning("Mailbox {Mailbox}: scan stopped: {Code} {Message}", mailbox.Name, error.Code, error.Message);
            await RecordHealthAsync(credential.Id, error, cancellationToken);
            var note = resync is null ? null : ResyncStoppedNote;
            if (note is not null)
            {
                await RecordResyncAsync(credential.Id, mailbox.SourceFolder, note, cancellationToken);
            }

            return new ScanReport(fetched, total.Created, total.Updated, total.Ignored, total.Failed, total.Pending, error) { Failures = total.Failures, Note = note };
        }
    }

    /// <summary>Counts of a resync after Graph dropped the sync state.</summary>
    private sealed class Resync
    {
        public int Listed { get; set; }

        public int AlreadyRecorded { get; set; }
    }

    private static string ResyncNote(Resync resync, int fetched) =>
        $"The delta sync state had expired (Graph answered 410 SyncStateNotFound); the folder was resynced from scratch: " +
        $"{Plural.Of(resync.Listed, "message")} listed, {resync.AlreadyRecorded} already recorded and skipped, {fetched} to process (new, or recorded but unfinished).";

    internal const string ResyncStoppedNote = "The delta sync state had expired; the resync of the folder stopped before its end and continues at the next scan.";

    /// <summary>Keeps a resync that stopped early on the folder's sync state (the Monitoring card and /health/detail show it).</summary>
    private async Task RecordResyncAsync(int credentialId, string folder, string note, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Set<MailboxSyncState>().Where(s => s.CredentialId == credentialId && s.Folder == folder)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.LastResyncAt, now).SetProperty(s => s.LastResyncNote, note), cancellationToken);
    }

    // Clears the link only: the row stays, so its last resync and success survive until the resync saves a new link.
    private async Task ClearStateAsync(int credentialId, string folder, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Set<MailboxSyncState>().Where(s => s.CredentialId == credentialId && s.Folder == folder)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.DeltaLink, (string?)null), cancellationToken);
    }

    /// <summary>Graph honours odata.maxpagesize only when every request of the delta round (nextLink, deltaLink) sends it.</summary>
    private void PageSize(Microsoft.Kiota.Abstractions.RequestConfiguration<Microsoft.Graph.Users.Item.MailFolders.Item.Messages.Delta.DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters> request) =>
        request.Headers.Add("Prefer", $"odata.maxpagesize={options.Value.PageSize}");

    private async Task<MailboxSyncState?> LoadStateAsync(int credentialId, string folder, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<MailboxSyncState>().AsNoTracking().SingleOrDefaultAsync(s => s.CredentialId == credentialId && s.Folder == folder, cancellationToken);
    }

    /// <summary>Saves where the delta round ended; <paramref name="resyncNote"/> (a round that resynced) replaces the last resync, null keeps it.</summary>
    private async Task SaveStateAsync(int credentialId, string folder, string deltaLink, string? resyncNote, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var state = await db.Set<MailboxSyncState>().SingleOrDefaultAsync(s => s.CredentialId == credentialId && s.Folder == folder, cancellationToken);
        if (state is null)
        {
            state = new MailboxSyncState { CredentialId = credentialId, Folder = folder };
            db.Add(state);
        }

        state.DeltaLink = deltaLink;
        state.LastScanAt = time.GetUtcNow();
        state.LastSuccessAt = state.LastScanAt;
        if (resyncNote is not null)
        {
            state.LastResyncAt = state.LastScanAt;
            state.LastResyncNote = resyncNote;
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>A scan that reached the mailbox clears the credential's error; one that failed records it (and asks for re-authorisation when the grant is gone).</summary>
    private async Task RecordHealthAsync(int credentialId, KnownError? error, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var credential = await db.Set<MailboxCredential>().SingleOrDefaultAsync(c => c.Id == credentialId, cancellationToken);
        if (credential is null || credential.DisconnectedAt is not null)
        {
            // Disconnected while the scan ran: what it found does not connect the credential again.
            return;
        }

        var now = time.GetUtcNow();
        credential.LastCheckedAt = now;
        if (error is null)
        {
            // The delta query read the mailbox: that is as good as a test, address included.
            if (credential.Status != CredentialStatus.Connected)
            {
                credential.Status = CredentialStatus.Connected;
                credential.ConnectedAt ??= now;
            }

            credential.ConnectedAddress ??= credential.TargetAddress;

            credential.LastErrorCode = null;
            credential.LastErrorMessage = null;
            credential.LastErrorAt = null;
        }
        else if (error.Kind != ErrorKind.Transient)
        {
            credential.Status = error.Kind == ErrorKind.Reauthorise ? CredentialStatus.NeedsReauthorisation : CredentialStatus.Failing;
            credential.LastErrorCode = error.Code;
            credential.LastErrorMessage = error.Message;
            credential.LastErrorAt = now;
        }

        await db.SaveChangesAsync(cancellationToken);
        foreach (var observer in statusObservers)
        {
            await observer.CredentialStatusChangedAsync(credentialId, cancellationToken);
        }
    }
}
