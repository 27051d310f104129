using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using HaloPortal.Tests.Ingestion;

namespace HaloPortal.Tests.Security;

/// <summary>Every kind of answer carries the browser defences; pages get the page policy, everything else a sandboxing one.</summary>
public sealed partial class SecurityHeadersTests(SecurityPortalFactory app) : IClassFixture<SecurityPortalFactory>
{
    private static void AssertCommonHeaders(HttpResponseMessage response, string what)
    {
        Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var nosniff) && nosniff.Single() == "nosniff", $"{what}: no nosniff");
        Assert.True(response.Headers.TryGetValues("Referrer-Policy", out var referrer) && referrer.Single() == "no-referrer", $"{what}: no Referrer-Policy");
        Assert.True(response.Headers.TryGetValues("X-Frame-Options", out var frames) && frames.Single() == "DENY", $"{what}: no X-Frame-Options DENY");
        var csp = Csp(response, what);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
    }

    private static string Csp(HttpResponseMessage response, string what)
    {
        Assert.True(response.Headers.TryGetValues("Content-Security-Policy", out var values), $"{what}: no Content-Security-Policy");
        return Assert.Single(values);
    }

    private static void AssertResourcePolicy(HttpResponseMessage response, string what)
    {
        AssertCommonHeaders(response, what);
        var csp = Csp(response, what);
        Assert.StartsWith("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("sandbox", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_gets_a_script_policy_without_inline_script_and_its_import_map_carries_the_nonce()
    {
        using var browser = app.CreateBrowserClient(new CookieContainer());
        using var response = await browser.GetAsync("/account/login");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertCommonHeaders(response, "page");
        var csp = Csp(response, "page");
        var nonce = Nonce().Match(csp).Groups["nonce"].Value;
        Assert.NotEmpty(nonce);
        Assert.Contains("script-src 'self' 'nonce-", csp, StringComparison.Ordinal);
        var scriptSrc = csp.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("script-src ", StringComparison.Ordinal));
        Assert.DoesNotContain("unsafe", scriptSrc, StringComparison.Ordinal);
        foreach (var directive in new[] { "object-src 'none'", "base-uri 'self'", "form-action 'self'", "connect-src 'self'", "img-src 'self' data:" })
        {
            Assert.Contains(directive, csp, StringComparison.Ordinal);
        }

        // Every inline <script> on the page (the import map) is allowed by this response's nonce; none is allowed otherwise.
        var inlineScripts = InlineScript().Matches(html);
        Assert.All(inlineScripts, s => Assert.Contains($"nonce=\"{nonce}\"", s.Value, StringComparison.Ordinal));
        Assert.DoesNotMatch(EventHandlerAttribute(), html);

        using var again = await browser.GetAsync("/account/login");
        Assert.NotEqual(nonce, Nonce().Match(Csp(again, "second page")).Groups["nonce"].Value);
    }

    [Fact]
    public async Task Api_static_files_health_and_not_found_answers_carry_the_headers()
    {
        using var api = app.CreateApiClient();
        using var anonymous = app.CreateApiClient(apiKey: null);
        using var browser = app.CreateBrowserClient(new CookieContainer());

        var answers = new (string What, HttpResponseMessage Response)[]
        {
            ("api", await api.GetAsync("/api/v1/tickets")),
            ("api 401", await anonymous.GetAsync("/api/v1/tickets")),
            ("api 404", await api.GetAsync("/api/v1/tickets/999999")),
            ("openapi", await anonymous.GetAsync("/openapi/v1.json")),
            // The in-process host serves only the content root's wwwroot (the built app's assets are covered by the E2E test).
            ("static file", await browser.GetAsync("/robots.txt")),
            ("health", await browser.GetAsync("/health")),
            ("sandbox keys", await anonymous.GetAsync("/sandbox/login/contoso.sandbox/discovery/v2.0/keys")),
        };

        foreach (var (what, response) in answers)
        {
            using (response)
            {
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized or HttpStatusCode.NotFound, $"{what}: {(int)response.StatusCode}");
                AssertResourcePolicy(response, what);
            }
        }

        using var signedIn = await app.SignedInBrowserAsync();
        using var notFound = await signedIn.GetAsync("/no/such/page");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        AssertCommonHeaders(notFound, "404 page");
    }

    [Fact]
    public async Task The_webhook_validation_echo_is_plain_text_that_a_browser_will_not_sniff_or_run()
    {
        using var anonymous = app.CreateApiClient(apiKey: null);
        var token = "<script>alert(document.domain)</script>";

        using var response = await anonymous.PostAsync($"/api/graph/notifications?validationToken={Uri.EscapeDataString(token)}", new StringContent(""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(token, await response.Content.ReadAsStringAsync());
        AssertResourcePolicy(response, "validation echo");
    }

    [Fact]
    public async Task Attachments_are_downloads_unless_they_are_safe_images_and_never_run_as_html()
    {
        var id = SandboxMail.NewMessageId();
        var mime = AttackMail.WithInlineImage("<p>see attached</p><img src=\"cid:foo\">", messageId: id)
            .Replace("--rel-boundary--\r\n",
                "--rel-boundary\r\nContent-Type: text/html; name=\"invoice.html\"\r\nContent-Disposition: attachment; filename=\"invoice.html\"\r\n\r\n" +
                "<script>alert(document.domain)</script>\r\n" +
                "--rel-boundary\r\nContent-Type: image/svg+xml; name=\"logo.svg\"\r\nContent-Disposition: attachment; filename=\"logo.svg\"\r\n\r\n" +
                "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>\r\n" +
                "--rel-boundary--\r\n", StringComparison.Ordinal);
        var ticket = await app.TicketFromAsync(mime, id);
        var attachments = Assert.Single(ticket.Messages).Attachments.ToDictionary(a => a.Name);
        using var browser = await app.SignedInBrowserAsync();

        using var png = await browser.GetAsync($"/attachments/{attachments["logo.png"].Id}");
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        AssertResourcePolicy(png, "inline png");

        foreach (var name in new[] { "invoice.html", "logo.svg" })
        {
            using var download = await browser.GetAsync($"/attachments/{attachments[name].Id}");
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
            Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
            AssertResourcePolicy(download, name);
        }
    }

    [Fact]
    public async Task The_sandbox_sign_in_pages_may_run_only_their_own_auto_submit_handler()
    {
        using var browser = app.CreateBrowserClient(new CookieContainer());
        using var response = await browser.GetAsync("/sandbox/login/contoso.sandbox/oauth2/v2.0/authorize?client_id=unknown&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid");
        var csp = Csp(response, "sandbox sign-in");

        AssertCommonHeaders(response, "sandbox sign-in");
        var expected = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("document.forms[0].submit()")));
        Assert.Contains($"script-src 'unsafe-hashes' 'sha256-{expected}'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("'unsafe-inline' 'self'", csp, StringComparison.Ordinal);
    }

    [GeneratedRegex("'nonce-(?<nonce>[^']+)'")]
    private static partial Regex Nonce();

    [GeneratedRegex("<script(?![^>]*\\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex("\\son[a-z]+\\s*=\\s*\"", RegexOptions.IgnoreCase)]
    private static partial Regex EventHandlerAttribute();
}
