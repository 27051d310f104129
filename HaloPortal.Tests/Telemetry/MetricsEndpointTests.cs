using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Ingestion;

namespace HaloPortal.Tests.Telemetry;

/// <summary>A portal with a Prometheus scraper key and an administrator to sign in with.</summary>
public sealed class ScrapedPortalFactory : PortalAppFactory
{
    public const string ScraperKey = "scraper-key-0123456789abcdefghijklmnopqrstuv";
    public const string Email = "metrics-admin@example.com";
    public const string Password = "metrics1admin";

    public ScrapedPortalFactory()
    {
        Settings["Portal:Metrics:ScraperKey"] = ScraperKey;
        Settings["Portal:BootstrapAdmin:Email"] = Email;
        Settings["Portal:BootstrapAdmin:Password"] = Password;
    }
}

/// <summary><c>/metrics</c>: Prometheus text for administrators and the scraper key, 401 for anyone else.</summary>
public sealed class MetricsEndpointTests(ScrapedPortalFactory app) : IClassFixture<ScrapedPortalFactory>
{
    [Fact]
    public async Task Anonymous_callers_and_wrong_keys_get_401_and_no_metrics()
    {
        using var anonymous = app.CreateApiClient(apiKey: null);
        using var plain = await anonymous.GetAsync("/metrics");
        using var wrong = await anonymous.SendAsync(Scrape("not-the-scraper-key-0123456789abcdefghijkl"));

        Assert.Equal(HttpStatusCode.Unauthorized, plain.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.DoesNotContain("haloportal_", await plain.Content.ReadAsStringAsync());
        Assert.DoesNotContain("haloportal_", await wrong.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_scraper_key_reads_the_haloportal_metrics_of_mail_that_went_through()
    {
        var mail = new SandboxMail(app);
        await mail.DeliverAsync(SandboxMail.Mime("eve@customer.example", mail.Demo.SharedMailbox, "Metrics: scrape me", "Hello.", SandboxMail.NewMessageId()));
        Assert.Null((await mail.ImportAsync()).Error);
        using var scraper = app.CreateApiClient(apiKey: null);

        using var response = await scraper.SendAsync(Scrape(ScrapedPortalFactory.ScraperKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE haloportal_emails_processed_total counter", text);
        Assert.Matches("""haloportal_emails_processed_total\{[^}]*mailbox_name="Support \(sandbox\)"[^}]*\} [1-9]""", text);
        Assert.Matches("""haloportal_emails_discovered_total\{[^}]*source="manual_import"[^}]*\} [1-9]""", text);
        Assert.Contains("haloportal_email_delivery_to_ticket_duration_seconds_bucket{", text);
        Assert.Contains("haloportal_graph_requests_total{", text);
        Assert.Contains("haloportal_credential_expiry_days{", text);
        Assert.Contains("haloportal_outbound_queue_depth{", text);
    }

    [Fact]
    public async Task A_signed_in_administrator_and_an_administrators_api_key_read_the_metrics()
    {
        using var browser = app.CreateBrowserClient(new CookieContainer());
        await BrowserSignIn.SignInAsync(browser, ScrapedPortalFactory.Email, ScrapedPortalFactory.Password);
        using var api = app.CreateApiClient();

        using var signedIn = await browser.GetAsync("/metrics");
        using var keyed = await api.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, keyed.StatusCode);
        Assert.Contains("haloportal_", await signedIn.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Another_portal_in_the_same_process_neither_adds_to_nor_removes_this_portals_metrics()
    {
        var mail = new SandboxMail(app);
        await mail.DeliverAsync(SandboxMail.Mime("fay@customer.example", mail.Demo.SharedMailbox, "Metrics: mine", "Hello.", SandboxMail.NewMessageId()));
        Assert.Null((await mail.ImportAsync()).Error);
        using var scraper = app.CreateApiClient(apiKey: null);
        var before = Processed(await ScrapeTextAsync(scraper));
        Assert.True(before >= 1, "this portal counted its own mail");

        // A second portal (as tests and the two-node benchmark run them) processes mail of its own, then stops.
        using (var other = new PortalAppFactory())
        {
            var otherMail = new SandboxMail(other);
            for (var i = 0; i < 3; i++)
            {
                await otherMail.DeliverAsync(SandboxMail.Mime("gus@customer.example", otherMail.Demo.SharedMailbox, $"Metrics: not yours {i}", "Hello.", SandboxMail.NewMessageId()));
            }

            Assert.Null((await otherMail.ImportAsync()).Error);
            Assert.InRange(Processed(await ScrapeTextAsync(scraper)), before, before + 2);
        }

        // Not the other portal's three emails (this portal may have finished one of its own since, e.g. a retried move), and
        // nothing of this portal's forgotten when the other stopped.
        var after = await ScrapeTextAsync(scraper);
        Assert.InRange(Processed(after), before, before + 2);
        Assert.Contains("haloportal_credential_expiry_days{", after);
    }

    private static async Task<string> ScrapeTextAsync(HttpClient scraper)
    {
        using var response = await scraper.SendAsync(Scrape(ScrapedPortalFactory.ScraperKey));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The demo mailbox's processed count in a scrape (0 when the series is missing).</summary>
    private static double Processed(string scrape) =>
        Regex.Match(scrape, """haloportal_emails_processed_total\{[^}]*mailbox_id="1"[^}]*\} (?<value>[0-9.e+]+)""") is { Success: true } match
            ? double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)
            : 0;

    private static HttpRequestMessage Scrape(string key) => new(HttpMethod.Get, "/metrics")
    {
        Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
    };
}

/// <summary>A portal with metrics switched off (as the benchmarks' baseline runs it).</summary>
public sealed class UnmeteredPortalFactory : PortalAppFactory
{
    public UnmeteredPortalFactory() => Settings["Portal:Metrics:Enabled"] = "false";
}

public sealed class MetricsSwitchTests(UnmeteredPortalFactory app) : IClassFixture<UnmeteredPortalFactory>
{
    [Fact]
    public async Task With_metrics_off_there_is_no_metrics_endpoint()
    {
        using var api = app.CreateApiClient();

        using var response = await api.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
