using System.Security.Cryptography;
using System.Text;

namespace HaloPortal.Hosting;

/// <summary>
/// Browser defences on every response (pages, API, static files, attachments, webhook echoes, errors):
/// <c>X-Content-Type-Options: nosniff</c>, <c>Referrer-Policy: no-referrer</c>, <c>X-Frame-Options: DENY</c> and a
/// Content-Security-Policy. HTML gets the page policy (scripts only from this origin, plus the one import map by nonce);
/// anything else gets a policy under which a browser opening it directly runs and loads nothing (sandboxed).
/// HSTS is added by <c>UseHsts</c> outside Development (HTTPS requests only).
/// </summary>
internal static class SecurityHeaders
{
    private const string NonceItem = "HaloPortal.CspNonce";

    // The sandbox's form_post page (an imitation of Entra ID's) submits itself with this inline handler.
    internal const string SandboxAutoSubmitHandler = "document.forms[0].submit()";

    /// <summary>The nonce of this request's page policy, for the few elements that must be inline (the import map).</summary>
    public static string? CspNonce(this HttpContext context) => context.Items[NonceItem] as string;

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        var policies = new Policies(app.Configuration);
        app.Use((context, next) =>
        {
            var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            context.Items[NonceItem] = nonce;
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.XFrameOptions = "DENY";
                headers.ContentSecurityPolicy = policies.For(context, nonce);
                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }

    private sealed class Policies(IConfiguration configuration)
    {
        // Not a document a browser should render: run nothing, load nothing, be framed by nobody.
        private const string Resource = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox";

        // "Sign in with Microsoft" posts a form to /account/microsoft, which redirects to the login host: form-action covers that redirect.
        private readonly string _formAction = string.Join(' ', new[] { "'self'", LoginOrigin(configuration) }.Where(s => s is not null));

        private readonly string _sandboxSignIn =
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; " +
            $"script-src 'unsafe-hashes' 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(SandboxAutoSubmitHandler)))}'; " +
            "form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'";

        public string For(HttpContext context, string nonce)
        {
            var contentType = context.Response.ContentType ?? "";
            if (!contentType.StartsWith("text/html", StringComparison.OrdinalIgnoreCase))
            {
                return Resource;
            }

            // Sandbox sign-in pages stand in for Microsoft's: like Entra ID, their form_post answer posts to the app's redirect URI.
            if (context.Request.Path.StartsWithSegments("/sandbox/login"))
            {
                return _sandboxSignIn;
            }

            // Blazor Server and MudBlazor run without inline script; MudBlazor sets style attributes, hence 'unsafe-inline' for styles only.
            // Images: this origin (inline attachments), data: (inline base64) and, after "Show images", the email's own http(s) images.
            return "default-src 'self'; " +
                   $"script-src 'self' 'nonce-{nonce}'; " +
                   "style-src 'self' 'unsafe-inline'; " +
                   "font-src 'self' data:; " +
                   "img-src 'self' data: https: http:; " +
                   "connect-src 'self'; " +
                   "frame-src 'none'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; " +
                   $"form-action {_formAction}";
        }

        private static string? LoginOrigin(IConfiguration configuration)
        {
            if (!MicrosoftSignIn.IsConfigured(configuration))
            {
                return null;
            }

            var section = configuration.GetSection(MicrosoftSignIn.ConfigurationSection);
            var instance = section["Authority"] is { Length: > 0 } authority ? authority : section["Instance"] is { Length: > 0 } i ? i : "https://login.microsoftonline.com/";
            return Uri.TryCreate(instance, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : null;
        }
    }
}
