using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Api;

/// <summary>Every import through the API is a recorded run: 202 with the run and its Hangfire job, or the report with the run's id.</summary>
public sealed class ImportRunsApiTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private const int Mailbox = SandboxMail.DemoMailboxId;

    [Fact]
    public async Task An_unknown_mailbox_or_run_is_a_404_problem()
    {
        using var api = app.CreateApiClient();

        var import = await api.PostAsync("/api/v1/mailboxes/9999/import", null);
        var history = await api.GetAsync("/api/v1/mailboxes/9999/imports");
        var run = await api.GetAsync($"/api/v1/mailboxes/{Mailbox}/imports/999999");

        Assert.Equal(HttpStatusCode.NotFound, import.StatusCode);
        Assert.Equal("application/problem+json", import.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Mailbox 9999 does not exist", (await import.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, history.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, run.StatusCode);
    }

    [Fact]
    public async Task An_import_without_waiting_is_202_with_a_run_that_a_Hangfire_job_finishes()
    {
        var mail = new SandboxMail(app);
        var subject = $"Printer jammed {Guid.NewGuid():N}";
        await mail.DeliverAsync(SandboxMail.Mime("jo@customer.example", mail.Demo.SharedMailbox, subject, "Paper everywhere.", SandboxMail.NewMessageId()));
        using var api = app.CreateApiClient();

        var response = await api.PostAsync($"/api/v1/mailboxes/{Mailbox}/import", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var started = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("started", started.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(started.GetProperty("jobId").GetString()));
        var runId = started.GetProperty("importRunId").GetInt64();
        Assert.Equal($"/api/v1/mailboxes/{Mailbox}/imports/{runId}", response.Headers.Location!.OriginalString);

        var run = await FinishedRunAsync(api, runId);
        Assert.Equal("Finished", run.GetProperty("status").GetString());
        Assert.Equal("Api", run.GetProperty("trigger").GetString());
        Assert.True(run.GetProperty("fetched").GetInt32() >= 1);
        Assert.True(run.GetProperty("created").GetInt32() >= 1);
        Assert.Equal(JsonValueKind.Null, run.GetProperty("error").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, run.GetProperty("finishedAt").ValueKind);
    }

    [Theory]
    [InlineData("backlogDays=2&backlogCap=0", "backlogCap")]
    [InlineData("backlogDays=2&backlogCap=1000000", "backlogCap")]
    [InlineData("backlogDays=0", "backlogDays")]
    [InlineData("backlogCap=10", "backlogDays")]
    public async Task A_backlog_out_of_range_is_refused_naming_the_field_and_records_no_run(string query, string field)
    {
        using var api = app.CreateApiClient();
        var before = (await api.GetFromJsonAsync<JsonElement>($"/api/v1/mailboxes/{Mailbox}/imports?take=500")).GetProperty("total").GetInt32();

        var response = await api.PostAsync($"/api/v1/mailboxes/{Mailbox}/import?wait=true&{query}", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, (await api.GetFromJsonAsync<JsonElement>($"/api/v1/mailboxes/{Mailbox}/imports?take=500")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_waited_import_reports_its_run_id_and_the_history_lists_runs_newest_first()
    {
        using var api = app.CreateApiClient();

        var first = await (await api.PostAsync($"/api/v1/mailboxes/{Mailbox}/import?wait=true", null)).Content.ReadFromJsonAsync<JsonElement>();
        var second = await api.PostAsync($"/api/v1/mailboxes/{Mailbox}/import?wait=true&backlogDays=2&backlogCap=7", null);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var report = await second.Content.ReadFromJsonAsync<JsonElement>();
        var runId = report.GetProperty("importRunId").GetInt64();
        Assert.True(runId > first.GetProperty("importRunId").GetInt64());
        foreach (var field in new[] { "fetched", "created", "updated", "ignored", "failed", "pending" })
        {
            Assert.Equal(JsonValueKind.Number, report.GetProperty(field).ValueKind);
        }

        var run = await api.GetFromJsonAsync<JsonElement>($"/api/v1/mailboxes/{Mailbox}/imports/{runId}");
        Assert.Equal("Finished", run.GetProperty("status").GetString());
        Assert.Equal(report.GetProperty("fetched").GetInt32(), run.GetProperty("fetched").GetInt32());
        Assert.Equal(report.GetProperty("created").GetInt32(), run.GetProperty("created").GetInt32());
        Assert.Equal(7, run.GetProperty("backlog").GetProperty("cap").GetInt32());
        Assert.StartsWith("API key", run.GetProperty("startedBy").GetString());

        var history = await api.GetFromJsonAsync<JsonElement>($"/api/v1/mailboxes/{Mailbox}/imports");
        var ids = history.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(runId, ids[0]);
        Assert.Equal(first.GetProperty("importRunId").GetInt64(), ids[1]);
        Assert.Equal(ids.OrderByDescending(id => id), ids);
        Assert.Equal(ids.Count, history.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Access_denied_by_Graph_is_a_Failed_run_with_ErrorAccessDenied_not_a_finished_empty_one()
    {
        var mail = new SandboxMail(app);
        using var api = app.CreateApiClient();
        await mail.Control.AddFaultAsync(new SandboxFaultRequest(mail.Demo.SharedMailbox, SandboxFaultKind.FailRequests, Status: 403));
        JsonElement report;
        long queuedRunId;
        try
        {
            report = await (await api.PostAsync($"/api/v1/mailboxes/{Mailbox}/import?wait=true", null)).Content.ReadFromJsonAsync<JsonElement>();
            queuedRunId = (await (await api.PostAsync($"/api/v1/mailboxes/{Mailbox}/import", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("importRunId").GetInt64();
            await FinishedRunAsync(api, queuedRunId);
        }
        finally
        {
            await mail.Control.ClearFaultsAsync();
        }

        Assert.Equal("ErrorAccessDenied", report.GetProperty("error").GetProperty("code").GetString());
        foreach (var id in new[] { report.GetProperty("importRunId").GetInt64(), queuedRunId })
        {
            var run = await api.GetFromJsonAsync<JsonElement>($"/api/v1/mailboxes/{Mailbox}/imports/{id}");
            Assert.Equal("Failed", run.GetProperty("status").GetString());
            Assert.Equal("ErrorAccessDenied", run.GetProperty("error").GetProperty("code").GetString());
            Assert.Equal(report.GetProperty("error").GetProperty("message").GetString(), run.GetProperty("error").GetProperty("message").GetString());
            Assert.False(string.IsNullOrEmpty(run.GetProperty("error").GetProperty("fix").GetString()));
        }
    }

    [Fact]
    public async Task A_defect_during_a_waited_import_is_a_500_and_its_run_is_Failed_not_left_Running()
    {
        var mail = new SandboxMail(app);
        await mail.DeliverAsync(SandboxMail.Mime("defect@customer.example", mail.Demo.SharedMailbox, "Meets a defect", "body", SandboxMail.NewMessageId()));
        var probe = app.Probe;
        probe.AfterStage = (stage, _) => stage == "discovered" ? throw new InvalidOperationException("A defect.") : Task.CompletedTask;
        using var api = app.CreateApiClient();
        HttpResponseMessage response;
        try
        {
            response = await api.PostAsync($"/api/v1/mailboxes/{Mailbox}/import?wait=true", null);
        }
        finally
        {
            probe.AfterStage = null;
        }

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var latest = (await api.GetFromJsonAsync<JsonElement>($"/api/v1/mailboxes/{Mailbox}/imports")).GetProperty("items")[0];
        Assert.Equal("Failed", latest.GetProperty("status").GetString());
        Assert.Equal("UnexpectedError", latest.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("InvalidOperationException", latest.GetProperty("error").GetProperty("message").GetString());
        await mail.ImportAsync(); // the email the defect stopped is resumed, so the other tests start from an empty inbox
    }

    private static async Task<JsonElement> FinishedRunAsync(HttpClient api, long runId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var run = await api.GetFromJsonAsync<JsonElement>($"/api/v1/mailboxes/{Mailbox}/imports/{runId}");
            if (run.GetProperty("status").GetString() != "Running")
            {
                return run;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Import run {runId} was still running after 30 s.");
            await Task.Delay(50);
        }
    }
}
