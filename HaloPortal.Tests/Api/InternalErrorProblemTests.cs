using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Tests.Api;

/// <summary>A portal whose log entries the test can read.</summary>
public sealed class LogCapturingPortalFactory : PortalAppFactory
{
    public LogCapturingPortalFactory() => ConfigureTestServices = services => services.AddSingleton<ILoggerProvider>(Logs);

    public CapturedLogs Logs { get; } = new();

    public sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs sink, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    sink.Entries.Enqueue((category, logLevel, formatter(state, exception), exception));
                }
            }
        }
    }
}

/// <summary>Only deliberate validation failures are 400; a defect is a logged 500 problem with a trace id.</summary>
public sealed class InternalErrorProblemTests(LogCapturingPortalFactory app) : IClassFixture<LogCapturingPortalFactory>
{
    [Fact]
    public async Task A_runtime_ArgumentException_during_an_import_is_a_logged_500_problem_with_a_trace_id_not_a_validation_error()
    {
        var mail = new SandboxMail(app);
        await mail.DeliverAsync(SandboxMail.Mime("defect@customer.example", mail.Demo.SharedMailbox, "Meets a defect", "body", SandboxMail.NewMessageId()));
        var probe = app.Probe;
        probe.AfterStage = (stage, _) =>
        {
            if (stage == "discovered")
            {
                // The runtime's own ArgumentException, as a duplicate dictionary key raises it.
                new Dictionary<int, int> { [56] = 1 }.Add(56, 2);
            }

            return Task.CompletedTask;
        };
        HttpResponseMessage response;
        try
        {
            using var api = app.CreateApiClient();
            response = await api.PostAsync($"/api/v1/mailboxes/{SandboxMail.DemoMailboxId}/import?wait=true", null);
        }
        finally
        {
            probe.AfterStage = null;
        }

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(500, problem.GetProperty("status").GetInt32());
        Assert.Equal("An unexpected error occurred", problem.GetProperty("title").GetString());
        Assert.False(problem.TryGetProperty("errors", out _));
        var traceId = problem.GetProperty("traceId").GetString();
        Assert.False(string.IsNullOrEmpty(traceId));
        Assert.Contains(traceId, problem.GetProperty("detail").GetString());
        Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Error && e.Exception is ArgumentException && e.Message.Contains(traceId!));
    }

    [Fact]
    public async Task A_deliberate_validation_failure_stays_a_400_naming_the_field()
    {
        using var api = app.CreateApiClient();
        var response = await api.PostAsJsonAsync("/api/v1/agents", new { displayName = "X", email = "nope", password = "api1agent2pass", roles = new[] { "Agent" } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("is not an email address", problem.GetProperty("errors").GetProperty("email")[0].GetString());
        Assert.DoesNotContain(app.Logs.Entries, e => e.Level >= LogLevel.Error && e.Exception is ArgumentException { ParamName: "email" });
    }
}
