using Hangfire;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using HaloPortal.Hosting;

namespace HaloPortal.Api;

/// <summary>Import emails (a recorded run, as a Hangfire job or awaited) and the mailbox's import history.</summary>
internal static class ImportRunsApi
{
    public static void MapImportRunsApi(this RouteGroupBuilder api)
    {
        var mailbox = api.MapGroup("/mailboxes/{id:int}").RequireAuthorization(PortalPolicies.Administrator).WithTags("Mailboxes");

        mailbox.MapPost("/import", async Task<IResult> (int id, bool? wait, int? backlogDays, int? backlogCap, IImportRuns runs, IMailboxes mailboxes, IBackgroundJobClient jobs,
            ICurrentActor actor, TimeProvider time, Microsoft.Extensions.Options.IOptions<IngestionOptions> ingestion, CancellationToken ct) =>
        {
            if (await mailboxes.GetAsync(id, ct) is null)
            {
                return MailboxNotFound(id);
            }

            var backlog = Backlog(backlogDays, backlogCap, ingestion.Value.MaxBacklog, time);
            if (wait != true)
            {
                var run = await runs.StartAsync(id, ImportRunTrigger.Api, actor.Get(), backlog, ct);
                var job = jobs.Enqueue<ImportRunJob>(j => j.RunAsync(run.Id, CancellationToken.None));
                return TypedResults.Accepted($"/api/v1/mailboxes/{id}/imports/{run.Id}", new ImportStarted("started", run.Id, job));
            }

            var (finished, report) = await runs.ImportAsync(id, ImportRunTrigger.Api, actor.Get(), backlog, null, ct);
            return TypedResults.Ok(new ImportReport(
                finished.Id, report.Fetched, report.Created, report.Updated, report.Ignored, report.Failed, report.Pending, report.Skipped,
                MailboxesApi.ErrorDto.From(report.Error), report.Failures.Select(ImportFailure.Of).ToList(), report.Note));
        }).WithName("ImportEmails")
          .WithSummary("Scan the mailbox now as a recorded import run: 202 with the run and its Hangfire job, or ?wait=true the report with importRunId. ?backlogDays=&backlogCap= imports older mail explicitly.");

        mailbox.MapGet("/imports", async Task<IResult> (int id, int? take, IImportRuns runs, IMailboxes mailboxes, CancellationToken ct) =>
        {
            if (await mailboxes.GetAsync(id, ct) is null)
            {
                return MailboxNotFound(id);
            }

            var items = (await runs.ListAsync(id, take ?? 20, ct)).Select(ImportRunItem.Of).ToList();
            return TypedResults.Ok(new ItemsPage<ImportRunItem>(items, items.Count));
        }).WithName("ListEmailImports").WithSummary("The mailbox's email import runs, newest first (?take=, default 20, at most 500).");

        mailbox.MapGet("/imports/{runId:long}", async Task<IResult> (int id, long runId, IImportRuns runs, CancellationToken ct) =>
            await runs.GetAsync(id, runId, ct) is { } run
                ? TypedResults.Ok(ImportRunItem.Of(run))
                : TypedResults.Problem(title: "Not found", detail: $"Mailbox {id} has no import run {runId}.", statusCode: 404))
            .WithName("GetEmailImport");
    }

    /// <summary>
    /// The explicit backlog of an import, checked as the screen checks it: the run records (and its report shows) the cap that is
    /// really applied, never a number the scanner would quietly cut down.
    /// </summary>
    private static BacklogImport? Backlog(int? days, int? cap, int maxCap, TimeProvider time)
    {
        if (days is null)
        {
            return cap is null ? null : throw new ArgumentException("backlogCap needs backlogDays: say how many days back to import.", "backlogDays");
        }

        if (days is < 1 or > 3650)
        {
            throw new ArgumentException("backlogDays must be between 1 and 3650.", "backlogDays");
        }

        if (cap is < 1 || cap > maxCap)
        {
            throw new ArgumentException($"backlogCap must be between 1 and {maxCap} (Portal:Ingestion:MaxBacklog).", "backlogCap");
        }

        return new BacklogImport(time.GetUtcNow().AddDays(-days.Value), cap ?? Math.Min(500, maxCap));
    }

    private static IResult MailboxNotFound(int id) => TypedResults.Problem(title: "Not found", detail: $"Mailbox {id} does not exist.", statusCode: 404);

    internal sealed record ImportStarted(string Status, long ImportRunId, string JobId);

    internal sealed record ImportReport(
        long ImportRunId, int Fetched, int Created, int Updated, int Ignored, int Failed, int Pending, string? Skipped, MailboxesApi.ErrorDto? Error, IReadOnlyList<ImportFailure> Failures,
        string? Note);

    internal sealed record ImportFailure(long EmailId, string? Subject, string? From, string? Reason)
    {
        public static ImportFailure Of(ScanFailure f) => new(f.EmailId, f.Subject, f.From, f.Reason);
    }

    internal sealed record ImportBacklog(DateTimeOffset Since, int Cap);

    internal sealed record ImportRunItem(
        long Id, int MailboxId, ImportRunTrigger Trigger, string StartedBy, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, ImportRunStatus Status, ImportBacklog? Backlog,
        int Fetched, int Created, int Updated, int Ignored, int Failed, int Pending, string? Skipped, MailboxesApi.ErrorDto? Error, IReadOnlyList<ImportFailure> Failures, string? Note)
    {
        public static ImportRunItem Of(ImportRunView r) => new(
            r.Id, r.MailboxId, r.Trigger, r.StartedBy, r.StartedAt, r.FinishedAt, r.Status, r.Backlog is { } b ? new ImportBacklog(b.Since, b.Cap) : null,
            r.Fetched, r.Created, r.Updated, r.Ignored, r.Failed, r.Pending, r.SkippedReason, MailboxesApi.ErrorDto.From(r.Error), r.Failures.Select(ImportFailure.Of).ToList(), r.Note);
    }
}
