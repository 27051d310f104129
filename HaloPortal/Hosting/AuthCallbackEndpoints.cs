using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Portal;
using Microsoft.Extensions.Options;

namespace HaloPortal.Hosting;

/// <summary>The authorisation-code sign-in for mailbox credentials: start, and the redirect URIs Entra ID returns to.</summary>
public static class AuthCallbackEndpoints
{
    public const string CallbackPath = "/authcallback";
    public const string LegacyCallbackPath = "/azure/auth";

    /// <summary>The redirect URI to register on the app: the public base URL when configured, else the address the admin is using.</summary>
    public static string RedirectUri(PortalOptions options, HttpRequest? request, string? fallbackBase = null)
    {
        var baseUrl = options.PublicBaseUrl ?? (request is null ? fallbackBase : $"{request.Scheme}://{request.Host}{request.PathBase}") ?? "";
        return baseUrl.TrimEnd('/') + CallbackPath;
    }

    public static WebApplication MapAuthCallbacks(this WebApplication app)
    {
        app.MapGet("/credentials/{id:int}/authorize", async (int id, string? returnUrl, HttpContext http, ICredentialConnections connections, IOptions<PortalOptions> options, ICurrentActor actor) =>
        {
            var redirect = RedirectUri(options.Value, http.Request);
            var target = await connections.BeginAuthorisationAsync(id, redirect, returnUrl, actor.Get(), http.RequestAborted);
            return Results.Redirect(target.ToString());
        }).RequireAuthorization(PortalPolicies.Administrator).ExcludeFromDescription();

        app.MapGet(CallbackPath, CompleteAsync).RequireAuthorization(PortalPolicies.Administrator).ExcludeFromDescription();
        app.MapGet(LegacyCallbackPath, CompleteAsync).RequireAuthorization(PortalPolicies.Administrator).ExcludeFromDescription();
        return app;
    }

    /// <summary>Where a browser lands when it brought back a sign-in answer that another person started.</summary>
    public const string RefusedPath = "/configuration/email/authorisation-refused";

    private static async Task<IResult> CompleteAsync(HttpContext http, ICredentialConnections connections, ICurrentActor actor)
    {
        var q = http.Request.Query;
        var result = await connections.CompleteAuthorisationAsync(q["state"], q["code"], q["error"], q["error_description"], actor.Get(), http.RequestAborted);
        if (result.Error?.Code == AuthorisationResult.StartedByAnotherUser)
        {
            return Results.LocalRedirect(RefusedPath);
        }

        var destination = result.MailboxId is { } mailboxId
            ? $"/configuration/email/mailboxes/{mailboxId}?tab=credentials&credential={result.CredentialId}"
            : "/configuration/email/mailboxes";
        destination += result.Ok ? "&signin=ok" : $"&signin=failed&code={Uri.EscapeDataString(result.Error?.Code ?? "")}";
        return Results.LocalRedirect(destination.Replace("mailboxes&", "mailboxes?", StringComparison.Ordinal));
    }
}
