using System.Text;
using System.Text.Encodings.Web;
using HaloPortal.Sandbox.Data;
using Microsoft.AspNetCore.Http;

namespace HaloPortal.Sandbox.Identity;

/// <summary>The sandbox's sign-in, consent and error pages: small server-rendered HTML in the look of Microsoft's sign-in.</summary>
internal static class AuthorizePages
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    public static IResult SignIn(SbTenant tenant, SbApplication app, string request, string? username, string? error, string action)
    {
        var body = new StringBuilder()
            .Append("<h1>Sign in</h1>")
            .Append($"<p class=\"sub\">to continue to <b>{E(app.DisplayName)}</b> &middot; {E(tenant.DisplayName)}</p>");
        if (error is not null)
        {
            body.Append($"<p class=\"error\" role=\"alert\" data-testid=\"sandbox-signin-error\">{E(error)}</p>");
        }

        body.Append($"<form method=\"post\" action=\"{E(action)}\">")
            .Append($"<input type=\"hidden\" name=\"request\" value=\"{E(request)}\">")
            .Append($"<label>Email or username<input name=\"username\" type=\"email\" autocomplete=\"username\" required value=\"{E(username ?? "")}\" data-testid=\"sandbox-username\"></label>")
            .Append("<label>Password<input name=\"password\" type=\"password\" autocomplete=\"current-password\" required data-testid=\"sandbox-password\"></label>")
            .Append("<button type=\"submit\" data-testid=\"sandbox-signin\">Sign in</button>")
            .Append("</form>");
        return Page("Sign in to your account", body.ToString(), 200);
    }

    public static IResult Consent(SbTenant tenant, SbApplication app, SbUser user, IReadOnlyList<string> permissions, string request, string action)
    {
        var body = new StringBuilder()
            .Append("<h1>Permissions requested</h1>")
            .Append($"<p class=\"sub\"><b>{E(app.DisplayName)}</b> &middot; {E(tenant.DisplayName)}<br>signed in as {E(user.UserPrincipalName)}</p>")
            .Append("<p>This app would like to:</p><ul data-testid=\"sandbox-consent-permissions\">");
        foreach (var permission in permissions.Append("offline_access").Distinct(StringComparer.OrdinalIgnoreCase))
        {
            body.Append($"<li>{E(Describe(permission))} <code>{E(permission)}</code></li>");
        }

        body.Append("</ul>")
            .Append("<p class=\"note\">Accepting allows this app to use the data as described above. You can revoke it by removing the grant in the sandbox.</p>")
            .Append($"<form method=\"post\" action=\"{E(action)}\">")
            .Append($"<input type=\"hidden\" name=\"request\" value=\"{E(request)}\">")
            .Append("<div class=\"buttons\"><button type=\"submit\" name=\"decision\" value=\"cancel\" class=\"secondary\" data-testid=\"sandbox-consent-cancel\">Cancel</button>")
            .Append("<button type=\"submit\" name=\"decision\" value=\"accept\" data-testid=\"sandbox-consent-accept\">Accept</button></div>")
            .Append("</form>");
        return Page("Permissions requested", body.ToString(), 200);
    }

    public static IResult Error(AadException error, TimeProvider time)
    {
        var body = error.ToBody(time.GetUtcNow(), null);
        var html = "<h1>Sorry, but we're having trouble signing you in.</h1>" +
                   $"<p class=\"error\" data-testid=\"sandbox-error\">{E(body.ErrorDescription).Replace("\r\n", "<br>", StringComparison.Ordinal)}</p>";
        return Page("Sign in error", html, error.Status);
    }

    public static IResult Expired() => Page("Sign in error",
        "<h1>This sign-in page has expired.</h1><p class=\"error\">Go back to the application and start signing in again.</p>", 400);

    /// <summary><c>response_mode=form_post</c>: an auto-submitting form to the redirect URI.</summary>
    public static IResult FormPost(string redirectUri, IReadOnlyDictionary<string, string> values)
    {
        var inputs = string.Concat(values.Select(v => $"<input type=\"hidden\" name=\"{E(v.Key)}\" value=\"{E(v.Value)}\">"));
        var html = $"<!DOCTYPE html><html><head><title>Working...</title></head><body onload=\"document.forms[0].submit()\">" +
                   $"<form method=\"post\" action=\"{E(redirectUri)}\">{inputs}<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>";
        return Results.Content(html, "text/html; charset=utf-8");
    }

    private static string Describe(string permission) => permission switch
    {
        "offline_access" => "Maintain access to data you have given it access to",
        "User.Read" => "Sign you in and read your profile",
        "Mail.Read" => "Read your mail",
        "Mail.ReadWrite" => "Read and write access to your mail",
        "Mail.Send" => "Send mail as you",
        "Mail.Read.Shared" => "Read user and shared mail",
        "Mail.ReadWrite.Shared" => "Read and write user and shared mail",
        "Mail.Send.Shared" => "Send mail on behalf of others",
        "Contacts.Read" => "Read your contacts",
        "Contacts.Read.Shared" => "Read user and shared contacts",
        _ => "Access " + permission,
    };

    private static IResult Page(string title, string content, int status)
    {
        var html = $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer"><title>{{E(title)}}</title>
            <style>
            body{margin:0;font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;color:#1b1b1b}
            main{max-width:440px;margin:8vh auto;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
            .brand{font-weight:600;color:#5e5e5e;margin-bottom:16px}.brand span{background:#0067b8;color:#fff;padding:2px 6px;margin-right:6px}
            h1{font-size:24px;font-weight:600;margin:0 0 8px}.sub{color:#5e5e5e;margin:0 0 16px}
            label{display:block;margin:12px 0;font-size:14px}input[type=email],input[type=password]{display:block;width:100%;box-sizing:border-box;border:0;border-bottom:1px solid #666;padding:8px 0;font-size:15px}
            button{background:#0067b8;color:#fff;border:0;padding:8px 28px;font-size:15px;cursor:pointer;margin-top:16px}button.secondary{background:#ccc;color:#000;margin-right:8px}
            .buttons{text-align:right}.error{color:#e81123}.note{font-size:13px;color:#5e5e5e}code{font-size:12px;color:#5e5e5e}
            </style></head>
            <body><main><div class="brand"><span>Sandbox</span>HaloPortal offline Entra ID</div>{{content}}</main></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static string E(string value) => Html.Encode(value);
}
