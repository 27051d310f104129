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
            ICurrentActor actor, TimeProvider time, CancellationToken ct) =>
        {
            if (await mailboxes.GetAsync(id, ct) is null)
            {
                return MailboxNotFound(id);
            }

            var backlog = backlogDays is { } days ? new BacklogImport(time.GetUtcNow().AddDays(-Math.Clamp(days, 1, 3650)), backlogCap ?? 500) : null;
            if (wait != true)
            {
                var run = await runs.StartAsync(id, ImportRunTrigger.Api, actor.Get(), backlog, ct);
                var job = jobs.Enqueue<ImportRunJob>(j => j.RunAsync(run.Id, CancellationToken.None));
                return TypedResults.Accepted($"/api/v1/mailboxes/{id}/imports/{run.Id}", new ImportStarted("started", run.Id, job));
            }

            var (finished, report) = await runs.ImportAsync(id, ImportRunTrigger.Api, actor.Get(), backlog, null, ct);
            return TypedResults.Ok(new ImportReport(
                finished.Id, report.Fetched, report.Created, report.Updated, report.Ignored, report.Failed, report.Pending, report.Skipped,
                ImportError.Of(report.Error), report.Failures.Select(ImportFailure.Of).ToList()));
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

    private static IResult MailboxNotFound(int id) => TypedResults.Problem(title: "Not found", detail: $"Mailbox {id} does not exist.", statusCode: 404);

    internal sealed record ImportStarted(string Status, long ImportRunId, string JobId);

    internal sealed record ImportReport(
        long ImportRunId, int Fetched, int Created, int Updated, int Ignored, int Failed, int Pending, string? Skipped, ImportError? Error, IReadOnlyList<ImportFailure> Failures);

    internal sealed record ImportError(string Code, string Title, string Message, string Fix)
    {
        public static ImportError? Of(KnownError? error) => error is null ? null : new(error.Code, error.Title, error.Message, error.Fix);
    }

    internal sealed record ImportFailure(long EmailId, string? Subject, string? From, string? Reason)
    {
        public static ImportFailure Of(ScanFailure f) => new(f.EmailId, f.Subject, f.From, f.Reason);
    }

    internal sealed record ImportBacklog(DateTimeOffset Since, int Cap);

    internal sealed record ImportRunItem(
        long Id, int MailboxId, ImportRunTrigger Trigger, string StartedBy, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, ImportRunStatus Status, ImportBacklog? Backlog,
        int Fetched, int Created, int Updated, int Ignored, int Failed, int Pending, string? Skipped, ImportError? Error, IReadOnlyList<ImportFailure> Failures)
    {
        public static ImportRunItem Of(ImportRunView r) => new(
            r.Id, r.MailboxId, r.Trigger, r.StartedBy, r.StartedAt, r.FinishedAt, r.Status, r.Backlog is { } b ? new ImportBacklog(b.Since, b.Cap) : null,
            r.Fetched, r.Created, r.Updated, r.Ignored, r.Failed, r.Pending, r.SkippedReason, ImportError.Of(r.Error), r.Failures.Select(ImportFailure.Of).ToList());
    }
}
