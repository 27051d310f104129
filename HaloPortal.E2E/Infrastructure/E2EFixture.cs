using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HaloPortal.E2E.Infrastructure;

/// <summary>All browser tests share one started portal and one Chromium (starting either takes seconds).</summary>
[CollectionDefinition(Name)]
public sealed class E2ECollection : ICollectionFixture<E2EFixture>
{
    public const string Name = "E2E";
}

/// <summary>
/// ONE real portal (<see cref="PortalProcess"/>) and ONE headless Debian Chromium for the whole E2E collection.
/// Each test takes a fresh browser context from <see cref="NewPageAsync"/> or runs inside <see cref="RunAsync"/>,
/// which screenshots the page when the test fails.
/// </summary>
public partial class E2EFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium; Playwright's own browser downloads are not available here.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>The administrator <c>FoundationTests</c> creates through the first-run page (the portal starts with nobody).</summary>
    public const string AdminEmail = "admin@haloportal.test";

    public const string AdminName = "Ada Admin";

    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private PortalProcess? _portal;

    /// <summary>The password of <see cref="AdminEmail"/>, made up per run.</summary>
    public string AdminPassword { get; } = $"e2e-{Guid.NewGuid():N}"[..22] + "7a";

    public PortalProcess Portal => _portal ?? throw new InvalidOperationException("The E2E fixture is not initialised.");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The E2E fixture is not initialised.");

    /// <summary>The repository's <c>artifacts/screenshots</c> folder.</summary>
    public static string ScreenshotDirectory => Path.Combine(RepoPaths.Artifacts, "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"{ChromiumPath} is missing. Install Debian's Chromium (apt-get install -y chromium) or run bash build/test.sh, which does.");
        }

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        // Generous on a busy 2-core CI machine: an expectation still returns the moment it holds.
        Assertions.SetDefaultExpectTimeout(15_000);
        Directory.CreateDirectory(ScreenshotDirectory);

        // Start both at once: the portal's start-up (migrations) and Chromium's launch overlap.
        var portal = PortalProcess.StartAsync(PortalEnvironment, PortalPort);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
        _portal = await portal;
        await OnStartedAsync();
    }

    /// <summary>The loopback port this fixture's portal listens on, chosen before it starts so <see cref="PortalEnvironment"/> can name its URL.</summary>
    protected int PortalPort { get; } = PortalProcess.FreeLoopbackPort();

    /// <summary>Extra environment variables of this fixture's portal.</summary>
    protected virtual IReadOnlyDictionary<string, string>? PortalEnvironment => null;

    /// <summary>Browser storage (cookies) every new context starts with; null for a fresh, signed-out browser.</summary>
    protected string? StorageState { get; set; }

    /// <summary>Runs once the portal and the browser are up.</summary>
    protected virtual Task OnStartedAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_portal is not null)
        {
            await _portal.DisposeAsync();
        }
    }

    /// <summary>A page in a fresh browser context (no cookies, no storage) whose relative URLs go to the portal.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new()
        {
            BaseURL = Portal.BaseAddress.ToString(),
            ViewportSize = new() { Width = 1366, Height = 860 },
            Locale = "en-GB",
            TimezoneId = "UTC",
            StorageState = StorageState,
        });
        context.SetDefaultTimeout(15_000);
        context.SetDefaultNavigationTimeout(30_000);

        // Offline by design: anything not served by the portal itself (the optional web font) is refused at once
        // instead of waiting on a network this machine does not have.
        var origin = Portal.BaseAddress.GetLeftPart(UriPartial.Authority);
        await context.RouteAsync(
            url => !url.StartsWith(origin, StringComparison.Ordinal) && !url.StartsWith("data:", StringComparison.Ordinal),
            route => route.AbortAsync("blockedbyclient"));
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Runs a browser test on a fresh page; when it throws, saves <c>&lt;test&gt;-failure.png</c> and adds the
    /// portal's last log lines to the failure. The context is closed afterwards.
    /// </summary>
    public async Task RunAsync(string test, Func<E2ESession, Task> body)
    {
        var page = await NewPageAsync();
        var browserLog = BrowserLog.Attach(page, Path.Combine(RepoPaths.Artifacts, "e2e", $"{Safe(test)}-browser.log"));
        var session = new E2ESession(this, test, page);
        try
        {
            await body(session);
        }
        catch (Exception failure)
        {
            string shot;
            try
            {
                shot = await ScreenshotAsync(page, test, "failure");
            }
            catch (PlaywrightException e)
            {
                shot = $"(no screenshot: {e.Message})";
            }

            throw new E2EFailureException(
                $"{test} failed at step '{session.LastStep}' on {page.Url}: {failure.Message}\nScreenshot: {shot}\nBrowser console: {browserLog.Path}\nPortal log ({Portal.LogPath}), last lines:\n{Portal.LogTail()}",
                failure);
        }
        finally
        {
            await page.Context.CloseAsync();
            browserLog.Dispose();
        }
    }

    /// <summary>Saves a full-page PNG as <c>artifacts/screenshots/&lt;test&gt;-&lt;step&gt;.png</c> and returns its path.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string test, string step)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, $"{Safe(test)}-{Safe(step)}.png");
        // A full-page capture draws the fixed app bar where the viewport was: from the top it sits where users see it.
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });
        return path;
    }

    private static string Safe(string name) => UnsafeFileChars().Replace(name, "-").Trim('-').ToLowerInvariant();

    [GeneratedRegex("[^A-Za-z0-9_.-]+")]
    private static partial Regex UnsafeFileChars();
}

/// <summary>One browser test in progress: its page, and numbered screenshots of its steps.</summary>
public sealed class E2ESession(E2EFixture fixture, string test, IPage page)
{
    private int _step;

    public E2EFixture Fixture { get; } = fixture;

    public IPage Page { get; } = page;

    /// <summary>The last step a screenshot was taken of (for failure messages).</summary>
    public string LastStep { get; private set; } = "start";

    /// <summary>Saves <c>artifacts/screenshots/&lt;test&gt;-NN-&lt;step&gt;.png</c>.</summary>
    public Task<string> StepAsync(string step)
    {
        LastStep = step;
        return E2EFixture.ScreenshotAsync(Page, test, $"{++_step:00}-{step}");
    }
}

/// <summary>The browser's console messages, page errors and failed requests of one test, written to a file.</summary>
internal sealed class BrowserLog : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly object _gate = new();
    private bool _closed;

    private BrowserLog(string path)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        _writer = new StreamWriter(path, append: false) { AutoFlush = true };
    }

    public string Path { get; }

    public static BrowserLog Attach(IPage page, string path)
    {
        var log = new BrowserLog(path);
        page.Console += (_, message) => log.Write($"console.{message.Type}: {message.Text}");
        page.PageError += (_, error) => log.Write($"page error: {error}");
        page.RequestFailed += (_, request) => log.Write($"request failed: {request.Method} {request.Url} ({request.Failure})");
        page.FrameNavigated += (_, frame) =>
        {
            if (frame.ParentFrame is null)
            {
                log.Write($"navigated: {frame.Url}");
            }
        };
        return log;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _closed = true;
            _writer.Dispose();
        }
    }

    private void Write(string line)
    {
        lock (_gate)
        {
            if (!_closed)
            {
                _writer.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {line}");
            }
        }
    }
}

/// <summary>A browser test failure, with where it happened, the screenshot's path and the portal's log tail.</summary>
public sealed class E2EFailureException(string message, Exception inner) : Exception(message, inner);
