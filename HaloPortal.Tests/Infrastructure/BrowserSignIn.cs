using System.Net;
using System.Text.RegularExpressions;

namespace HaloPortal.Tests.Infrastructure;

/// <summary>Signs in through the real login form, as a browser does: read the antiforgery field, post the form, keep the cookie.</summary>
public static partial class BrowserSignIn
{
    /// <summary>Posts the login form and returns the answer (302 on success, 200 with the error otherwise).</summary>
    public static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string email, string password, string? returnUrl = null)
    {
        var path = returnUrl is null ? "/account/login" : $"/account/login?returnUrl={Uri.EscapeDataString(returnUrl)}";
        using var page = await client.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)page.StatusCode} {page.Headers.Location}");

        var form = new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AntiforgeryToken(html),
            ["_handler"] = "login",
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        };
        return await client.PostAsync(path, new FormUrlEncodedContent(form));
    }

    /// <summary>Signs in and asserts that it worked (the answer redirects away from the login page).</summary>
    public static async Task SignInAsync(HttpClient client, string email, string password)
    {
        using var response = await PostLoginAsync(client, email, password);
        var body = response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : "";
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Sign-in of {email} answered {(int)response.StatusCode}: {LoginError(body)}");
    }

    /// <summary>The hidden antiforgery field of a rendered form.</summary>
    public static string AntiforgeryToken(string html)
    {
        var field = TokenField().Match(html);
        Assert.True(field.Success, "The page has no antiforgery field.");
        var value = ValueAttribute().Match(field.Value);
        Assert.True(value.Success, "The antiforgery field has no value.");
        return WebUtility.HtmlDecode(value.Groups["value"].Value);
    }

    /// <summary>The text of the login page's error box, or null.</summary>
    public static string? LoginError(string html)
    {
        var match = ErrorBox().Match(html);
        return match.Success ? WebUtility.HtmlDecode(match.Groups["text"].Value).Trim() : null;
    }

    [GeneratedRegex("""<input[^>]*name="__RequestVerificationToken"[^>]*>""")]
    private static partial Regex TokenField();

    [GeneratedRegex("value=\"(?<value>[^\"]*)\"")]
    private static partial Regex ValueAttribute();

    [GeneratedRegex("""data-testid="login-error"[^>]*>(?<text>[^<]*)<""")]
    private static partial Regex ErrorBox();
}
