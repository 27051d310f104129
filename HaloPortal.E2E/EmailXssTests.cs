using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using HaloPortal.E2E.Infrastructure;
using HaloPortal.E2E.Pages;
using Microsoft.Playwright;

namespace HaloPortal.E2E;

/// <summary>
/// Issue 12 through the real pipeline and the real browser: attacker emails are delivered into the sandbox mailbox, imported, and
/// each ticket page is opened in Chromium. No payload may run a script (flags, alert, document.title) or even try to (a CSP
/// violation for a script), the email cannot overlay the portal, and a remote image is fetched only after "Show images".
/// </summary>
[Collection(AdminE2ECollection.Name)]
public sealed class EmailXssTests(AdminE2EFixture fixture)
{
    // Sets every flag the test watches; no quotes, so it fits in any attribute.
    private const string Pwn = "window.__xss=1;alert(document.domain);document.title=document.domain";

    private const string PngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

    // Runs before any page script (Playwright injects it outside the page's CSP): the flags and the violation log.
    private const string Watch = """
        window.__xss = 0;
        window.__violations = [];
        document.addEventListener('securitypolicyviolation', e => window.__violations.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample || ''}`));
        window.alert = window.confirm = window.prompt = () => { window.__xss = (window.__xss || 0) + 1; };
        """;

    private static readonly (string Name, string Html, string Encoding)[] Corpus =
    [
        ("alt-breakout", $"<img src=x alt='src=cid:foo onerror={Pwn} '><img src=\"cid:foo\" alt=\"logo\">", "8bit"),
        ("title-breakout", $"<p title='src=\"cid:foo\" onmouseover={Pwn} x='>hover me</p><img src=cid:foo>", "8bit"),
        ("img-onerror", $"<img src=x onerror={Pwn}>", "8bit"),
        ("svg-onload", $"<svg onload={Pwn}><circle r=5></circle></svg><svg><animate onbegin={Pwn} attributeName=x dur=1s></svg>", "8bit"),
        ("iframe-srcdoc", "<iframe srcdoc=\"<script>parent.__xss=1;parent.document.title=1</script>\"></iframe><object data=\"javascript:parent.__xss=1\"></object>", "8bit"),
        ("mxss-math", $"<math><mtext><table><mglyph><style><img src=x onerror={Pwn}>", "8bit"),
        ("mxss-noscript", $"<noscript><p title=\"</noscript><img src=x onerror={Pwn}>\"></noscript>", "8bit"),
        ("details-toggle", $"<details open ontoggle={Pwn}><summary>s</summary>d</details>", "8bit"),
        ("script-urls", $"<a href=\"javascript:{Pwn}\">js</a><a href=\"&#106;avascript:{Pwn}\">entity</a><a href=\"data:text/html,<script>alert(1)</script>\">data</a>" +
            "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">", "8bit"),
        ("css-attacks", "<div style=\"background-image:url(javascript:alert(1));width:expression(alert(1))\">css</div>" +
            "<div data-testid=\"overlay\" class=\"mud-overlay\" style=\"position:fixed;top:0;left:0;width:100%;height:100%;z-index:99999;background:rgba(200,0,0,.9)\">OVERLAY</div>", "8bit"),
        ("malformed", $"<<img src=x onerror={Pwn}//<<img \"\"\"><script>{Pwn}</script>\"><scr<script>ipt>{Pwn}</scr</script>ipt>", "8bit"),
        ("quoted-printable", $"<img src=x alt='src=cid:foo onerror={Pwn} '>", "quoted-printable"),
        ("base64", $"<img src=x alt='src=cid:foo onerror={Pwn} '>", "base64"),
    ];

    [Fact]
    public Task Attacker_emails_run_no_script_and_cannot_overlay_the_portal() =>
        fixture.RunAsync("email-xss-corpus", async session =>
        {
            var page = session.Page;
            var run = "r" + Guid.NewGuid().ToString("N")[..5]; // never all digits: a number is searched as a ticket number
            var dialogs = new ConcurrentQueue<string>();
            page.Dialog += async (_, dialog) =>
            {
                dialogs.Enqueue(dialog.Message);
                await dialog.DismissAsync();
            };
            var cspConsole = new ConcurrentQueue<string>();
            page.Console += (_, message) =>
            {
                if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
                {
                    cspConsole.Enqueue(message.Text);
                }
            };
            await page.AddInitScriptAsync(Watch);

            using var api = new PortalApi(fixture.Portal);
            using var sandbox = new SandboxControlApi(fixture.Portal);
            foreach (var (name, html, encoding) in Corpus)
            {
                await sandbox.DeliverMimeAsync(SandboxScreen.SupportMailbox, Mime($"XSS {name} {run}", html, encoding));
            }

            // The subject and the attachment's file name, RFC 2047 encoded, are payloads too (shown as text).
            var headerPayload = $"<img src=x onerror={Pwn}> header {run}";
            await sandbox.DeliverMimeAsync(SandboxScreen.SupportMailbox,
                Mime(EncodedWord(headerPayload), "<p>Encoded headers</p><img src=\"cid:foo\">", "8bit", fileName: EncodedWord($"<svg onload={Pwn}>.png")));

            var tickets = await api.ImportAndFindAsync(run, Corpus.Length + 1);
            foreach (var (subject, ticketId) in tickets)
            {
                await page.GotoAsync($"/tickets/{ticketId}");
                await page.WaitForInteractiveAsync();
                await page.AssertNotAnErrorPageAsync();
                await Assertions.Expect(page.GetByTestId("message-body").First).ToBeVisibleAsync();
                await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=message-body] img')].every(i => i.complete)");

                var xss = await page.EvaluateAsync<int>("() => window.__xss || 0");
                var violations = await page.EvaluateAsync<string[]>("() => window.__violations");
                Assert.True(xss == 0, $"A script ran on the page of '{subject}'.");
                Assert.True(violations.Length == 0, $"CSP violations on the page of '{subject}': {string.Join(" | ", violations)}");
                Assert.NotEqual(new Uri(page.Url).Host, await page.TitleAsync());
                Assert.Empty(dialogs);

                if (subject.StartsWith("XSS css-attacks", StringComparison.Ordinal))
                {
                    // The overlay is an ordinary box inside the message: the app bar is still what sits at the top of the window.
                    Assert.Equal("static", await page.GetByText("OVERLAY").EvaluateAsync<string>("e => getComputedStyle(e).position"));
                    Assert.True(await page.EvaluateAsync<bool>("() => !!document.elementFromPoint(200, 20)?.closest('.mud-appbar')"), "Something covers the app bar.");
                    await session.StepAsync("css-overlay-contained");
                }

                if (subject.StartsWith("XSS alt-breakout", StringComparison.Ordinal))
                {
                    // The inline cid: image (served by the portal) still shows under the policy.
                    Assert.True(await page.EvaluateAsync<bool>("() => [...document.querySelectorAll('[data-testid=message-body] img[src^=\"/attachments/\"]')].some(i => i.naturalWidth > 0)"),
                        "The inline image did not load.");
                    await session.StepAsync("alt-breakout-inert");
                }

                if (subject.Contains("header", StringComparison.Ordinal))
                {
                    await Assertions.Expect(page.GetByText($"<img src=x onerror={Pwn}>", new() { Exact = false }).First).ToBeVisibleAsync();
                    await session.StepAsync("encoded-headers-shown-as-text");
                }
            }

            Assert.Empty(cspConsole);
        });

    [Fact]
    public Task A_remote_image_is_fetched_only_after_show_images() =>
        fixture.RunAsync("email-remote-images", async session =>
        {
            var page = session.Page;
            var run = "r" + Guid.NewGuid().ToString("N")[..5]; // never all digits: a number is searched as a ticket number
            using var pixel = new PixelServer();
            var imageUrl = $"{pixel.Origin}/open-{run}.gif";
            var requested = new ConcurrentQueue<string>();
            page.Request += (_, request) =>
            {
                if (request.Url.StartsWith(pixel.Origin, StringComparison.Ordinal))
                {
                    requested.Enqueue(request.Url);
                }
            };
            // The fixture refuses every address but the portal's; this test's own loopback server is let through.
            await page.RouteAsync($"{pixel.Origin}/**", route => route.ContinueAsync());
            await page.AddInitScriptAsync(Watch);

            using var api = new PortalApi(fixture.Portal);
            using var sandbox = new SandboxControlApi(fixture.Portal);
            await sandbox.DeliverMimeAsync(SandboxScreen.SupportMailbox, Mime($"Newsletter {run}",
                $"<h2>Monthly newsletter</h2><p>Our logo:</p><img src=\"cid:foo\" alt=\"logo\" width=\"48\" height=\"48\"><p>Tracked banner:</p><img src=\"{imageUrl}\" alt=\"banner\" width=\"120\" height=\"30\">", "8bit"));
            var (_, ticketId) = Assert.Single(await api.ImportAndFindAsync(run, 1));

            await page.GotoAsync($"/tickets/{ticketId}");
            await page.WaitForInteractiveAsync();
            await Assertions.Expect(page.GetByTestId("remote-images-blocked")).ToBeVisibleAsync();
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=message-body] img')].every(i => i.complete)");
            Assert.Equal(0, pixel.Hits);
            Assert.Empty(requested);
            await session.StepAsync("remote-images-blocked");

            await page.GetByTestId("show-images").ClickAsync();
            await Assertions.Expect(page.GetByTestId("remote-images-blocked")).ToHaveCountAsync(0);
            await page.WaitForFunctionAsync($"() => [...document.querySelectorAll('[data-testid=message-body] img')].some(i => i.src === '{imageUrl}' && i.complete && i.naturalWidth > 0)");
            Assert.True(pixel.Hits >= 1, "The remote image was not fetched after Show images.");
            Assert.Contains(imageUrl, requested);
            Assert.Equal(0, await page.EvaluateAsync<int>("() => window.__xss || 0"));
            Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__violations"));
            await session.StepAsync("remote-images-shown");
        });

    [Fact]
    public Task Hangfire_the_sandbox_screen_and_the_ticket_list_work_under_the_content_security_policy() =>
        fixture.RunAsync("csp-screens", async session =>
        {
            var page = session.Page;
            await page.AddInitScriptAsync(Watch);

            await page.GotoAsync("/tools/sandbox");
            await page.WaitForInteractiveAsync();
            await page.AssertNotAnErrorPageAsync();
            Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__violations"));
            await session.StepAsync("sandbox-screen");

            await page.GotoAsync("/tickets");
            await page.WaitForInteractiveAsync();
            Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__violations"));

            var response = await page.GotoAsync("/hangfire");
            Assert.Equal(200, response!.Status);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            await Assertions.Expect(page.Locator(".navbar").First).ToBeVisibleAsync();
            // Hangfire's own script (jQuery, charts) runs: it draws the realtime graph.
            await page.WaitForFunctionAsync("() => typeof window.jQuery === 'function'");
            Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__violations"));
            await session.StepAsync("hangfire-dashboard");
        });

    private static string Mime(string subject, string html, string transferEncoding, string fileName = "logo.png")
    {
        var body = transferEncoding switch
        {
            "base64" => Convert.ToBase64String(Encoding.UTF8.GetBytes(html), Base64FormattingOptions.InsertLineBreaks),
            "quoted-printable" => QuotedPrintable(html),
            _ => html,
        };
        return $"From: Mallory <mallory@evil.example>\r\nTo: {SandboxScreen.SupportMailbox}\r\nSubject: {subject}\r\nDate: {DateTimeOffset.UtcNow:R}\r\n" +
               $"Message-ID: <{Guid.NewGuid():N}@evil.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n" +
               $"--rel\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: {transferEncoding}\r\n\r\n{body}\r\n" +
               $"--rel\r\nContent-Type: image/png; name=\"{fileName}\"\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <foo>\r\n" +
               $"Content-Disposition: inline; filename=\"{fileName}\"\r\n\r\n{PngBase64}\r\n--rel--\r\n";
    }

    private static string QuotedPrintable(string text)
    {
        var builder = new StringBuilder();
        var line = 0;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            var piece = b is (byte)'=' or (byte)'<' or (byte)'>' or (byte)'"' or (byte)'\'' or > 126 or < 32 ? $"={b:X2}" : ((char)b).ToString();
            if (line + piece.Length > 72)
            {
                builder.Append("=\r\n");
                line = 0;
            }

            builder.Append(piece);
            line += piece.Length;
        }

        return builder.ToString();
    }

    private static string EncodedWord(string text) => $"=?utf-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes(text))}?=";

    /// <summary>The portal's REST API with the key it was started with: import the demo mailbox, find tickets.</summary>
    private sealed class PortalApi(PortalProcess portal) : IDisposable
    {
        private readonly HttpClient _http = new() { BaseAddress = portal.BaseAddress, Timeout = TimeSpan.FromSeconds(120), DefaultRequestHeaders = { { "X-Api-Key", portal.ApiKey } } };

        /// <summary>Imports the demo mailbox until <paramref name="count"/> tickets whose subject contains <paramref name="run"/> exist; returns them.</summary>
        public async Task<IReadOnlyList<(string Subject, int Id)>> ImportAndFindAsync(string run, int count)
        {
            var deadline = DateTimeOffset.UtcNow.AddSeconds(90);
            var lastImport = "";
            while (true)
            {
                using (var import = await _http.PostAsync($"/api/v1/mailboxes/{SandboxScreen.DemoMailboxId}/import?wait=true", null))
                {
                    lastImport = await import.Content.ReadAsStringAsync();
                    Assert.True(import.IsSuccessStatusCode, $"Import answered {(int)import.StatusCode}: {lastImport}");
                }

                using var json = JsonDocument.Parse(await _http.GetStringAsync($"/api/v1/tickets?q={Uri.EscapeDataString(run)}&pageSize=100"));
                var found = json.RootElement.GetProperty("items").EnumerateArray()
                    .Select(t => (Subject: t.GetProperty("subject").GetString()!, Id: t.GetProperty("id").GetInt32())).ToList();
                if (found.Count >= count)
                {
                    return found;
                }

                if (DateTimeOffset.UtcNow >= deadline)
                {
                    // Say what became of the emails, so a failure here explains itself.
                    using var emails = JsonDocument.Parse(await _http.GetStringAsync($"/api/v1/inbound-emails?mailboxId={SandboxScreen.DemoMailboxId}&pageSize=200"));
                    var mine = emails.RootElement.GetProperty("items").EnumerateArray()
                        .Where(e => e.GetProperty("subject").GetString()?.Contains(run, StringComparison.Ordinal) == true)
                        .Select(e => $"{e.GetProperty("subject").GetString()}: {e.GetProperty("status").GetString()} {e.GetProperty("reason").GetString()}");
                    Assert.Fail($"Only {found.Count} of {count} tickets were opened: {string.Join(", ", found.Select(f => f.Subject))}. " +
                        $"Last import: {lastImport}. Inbound emails of this run: {string.Join(" | ", mine)}");
                }

                await Task.Delay(500);
            }
        }

        public void Dispose() => _http.Dispose();
    }

    /// <summary>A loopback HTTP server that answers every request with a 1x1 GIF and counts the hits.</summary>
    private sealed class PixelServer : IDisposable
    {
        private static readonly byte[] Gif = Convert.FromBase64String("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==");
        private readonly HttpListener _listener = new();
        private readonly CancellationTokenSource _stop = new();
        private int _hits;

        public PixelServer()
        {
            var port = PortalProcess.FreeLoopbackPort();
            Origin = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Origin + "/");
            _listener.Start();
            _ = ServeAsync();
        }

        public string Origin { get; }

        public int Hits => Volatile.Read(ref _hits);

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }

                Interlocked.Increment(ref _hits);
                context.Response.ContentType = "image/gif";
                context.Response.ContentLength64 = Gif.Length;
                await context.Response.OutputStream.WriteAsync(Gif);
                context.Response.Close();
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Close();
            _stop.Dispose();
        }
    }
}
