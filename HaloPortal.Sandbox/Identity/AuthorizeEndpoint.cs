using System.Text.Json;
using HaloPortal.Sandbox.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Sandbox.Identity;

/// <summary>
/// The interactive part of the authorization-code flow: sign-in page, consent page, then a redirect with the code.
/// The pending request travels between the pages in a time-limited Data Protection envelope, which doubles as the form's
/// anti-forgery token (it cannot be forged or replayed after it expires).
/// </summary>
internal sealed class AuthorizeEndpoint(
    IDbContextFactory<SandboxDbContext> contexts,
    IDataProtectionProvider protection,
    TimeProvider time)
{
    private static readonly PasswordHasher<SbUser> Passwords = new();
    private static readonly TimeSpan PageLifetime = TimeSpan.FromMinutes(15);

    public async Task<IResult> StartAsync(HttpContext http, string tenantName)
    {
        var ct = http.RequestAborted;
        var q = http.Request.Query;
        await using var db = await contexts.CreateDbContextAsync(ct);
        var tenant = await db.FindTenantAsync(tenantName, ct);
        if (tenant is null)
        {
            return AuthorizePages.Error(AadException.TenantNotFound(tenantName), time);
        }

        if (!Guid.TryParse(q["client_id"], out var clientId))
        {
            return AuthorizePages.Error(AadException.MissingParameter("client_id"), time);
        }

        var app = await db.Applications.AsNoTracking().SingleOrDefaultAsync(a => a.TenantId == tenant.Id && a.AppId == clientId, ct);
        if (app is null)
        {
            return AuthorizePages.Error(AadException.AppNotFound(clientId, tenant.DisplayName), time);
        }

        var redirectUri = q["redirect_uri"].ToString();
        if (string.IsNullOrEmpty(redirectUri) || !RedirectUriMatches(app.RedirectUris, redirectUri))
        {
            return AuthorizePages.Error(AadException.InvalidRequest(50011,
                $"The redirect URI '{redirectUri}' specified in the request does not match the redirect URIs configured for the application '{app.AppId}'. " +
                "Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. " +
                "Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this."), time);
        }

        var request = new PendingAuthorization(
            tenant.Id, app.AppId, redirectUri, q["scope"].ToString(), q["state"].ToString(), q["nonce"].ToString(),
            q["code_challenge"].ToString(), q["code_challenge_method"].ToString(), q["response_mode"].ToString(), q["prompt"].ToString(),
            q["login_hint"].ToString(), null);
        if (q["response_type"] != "code")
        {
            return Redirect(request, new AadException("unsupported_response_type", 700054, $"response_type '{q["response_type"]}' is not enabled for the application."));
        }

        if (string.IsNullOrEmpty(request.CodeChallenge))
        {
            return Redirect(request, AadException.InvalidRequest(9002325, "Proof Key for Code Exchange is required for cross-origin authorization code redemption."));
        }

        if (request.CodeChallengeMethod is not ("" or "S256" or "plain"))
        {
            return Redirect(request, AadException.InvalidRequest(50148, "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE."));
        }

        try
        {
            ScopeRequest.Parse(request.Scope, tenant.DisplayName);
        }
        catch (AadException ex)
        {
            return Redirect(request, ex);
        }

        if (request.Prompt == "none")
        {
            return Redirect(request, new AadException("login_required", 50058, "A silent sign-in request was sent but no user is signed in."));
        }

        return AuthorizePages.SignIn(tenant, app, Protect(request), request.LoginHint, error: null, ActionUrl(http, tenantName, "authorize"));
    }

    public async Task<IResult> SignInAsync(HttpContext http, string tenantName)
    {
        var ct = http.RequestAborted;
        var form = await http.Request.ReadFormAsync(ct);
        if (Unprotect(form["request"]) is not { } request)
        {
            return AuthorizePages.Expired();
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == request.TenantId, ct);
        var app = await db.Applications.AsNoTracking().SingleAsync(a => a.TenantId == tenant.Id && a.AppId == request.AppId, ct);
        var username = form["username"].ToString().Trim();
        var user = string.IsNullOrEmpty(username) ? null : await db.FindUserAsync(tenant.Id, username, ct);
        if (user is not null && (user.MailboxType is SandboxMailboxType.Shared or SandboxMailboxType.Room or SandboxMailboxType.Equipment || user.PasswordHash is null))
        {
            return AuthorizePages.SignIn(tenant, app, form["request"]!, username,
                "AADSTS50057: The user account is disabled. (Shared, room and equipment mailboxes cannot sign in; sign in as one of their delegates.)",
                ActionUrl(http, tenantName, "authorize"));
        }

        if (user is null || Passwords.VerifyHashedPassword(user, user.PasswordHash!, form["password"].ToString()) == PasswordVerificationResult.Failed)
        {
            return AuthorizePages.SignIn(tenant, app, form["request"]!, username,
                "AADSTS50126: Error validating credentials due to invalid username or password.", ActionUrl(http, tenantName, "authorize"));
        }

        var scope = ScopeRequest.Parse(request.Scope, tenant.DisplayName);
        var wanted = scope.Effective(app.DelegatedPermissions);
        var consented = await TokenEndpoint.ConsentedAsync(db, app, user, ct);
        var missing = wanted.Where(p => !consented.Contains(p, StringComparer.OrdinalIgnoreCase)).ToList();
        if (missing.Count == 0 && request.Prompt != "consent")
        {
            return await IssueCodeAsync(db, request, user, wanted, ct);
        }

        var pending = request with { UserId = user.Id };
        return AuthorizePages.Consent(tenant, app, user, wanted, Protect(pending), ActionUrl(http, tenantName, "consent"));
    }

    public async Task<IResult> ConsentAsync(HttpContext http)
    {
        var ct = http.RequestAborted;
        var form = await http.Request.ReadFormAsync(ct);
        if (Unprotect(form["request"]) is not { UserId: { } userId } request)
        {
            return AuthorizePages.Expired();
        }

        if (form["decision"] != "accept")
        {
            return Redirect(request, new AadException("access_denied", 65004, "User declined to consent to access the app."));
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == request.TenantId, ct);
        var app = await db.Applications.AsNoTracking().SingleAsync(a => a.TenantId == tenant.Id && a.AppId == request.AppId, ct);
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == userId, ct);
        var wanted = ScopeRequest.Parse(request.Scope, tenant.DisplayName).Effective(app.DelegatedPermissions);
        var grant = await db.Grants.SingleOrDefaultAsync(g => g.AppId == app.AppId && g.UserId == user.Id, ct);
        if (grant is null)
        {
            grant = new SbGrant { Id = Guid.NewGuid(), TenantId = tenant.Id, AppId = app.AppId, UserId = user.Id, CreatedAt = time.GetUtcNow() };
            db.Grants.Add(grant);
        }

        grant.Scopes = grant.Scopes.Union(wanted, StringComparer.OrdinalIgnoreCase).ToList();
        await db.SaveChangesAsync(ct);
        return await IssueCodeAsync(db, request, user, wanted, ct);
    }

    private async Task<IResult> IssueCodeAsync(SandboxDbContext db, PendingAuthorization request, SbUser user, IReadOnlyList<string> wanted, CancellationToken ct)
    {
        var code = "1.SBXC." + SandboxIds.Opaque(48);
        var now = time.GetUtcNow();
        var scope = ScopeRequest.Parse(request.Scope, "");
        db.AuthCodes.Add(new SbAuthCode
        {
            Id = SandboxIds.Sha256(code),
            TenantId = request.TenantId,
            AppId = request.AppId,
            UserId = user.Id,
            RedirectUri = request.RedirectUri,
            Resource = scope.Resource,
            Scopes = wanted.Select(p => scope.RequestedPrefix + p).Concat(scope.OpenIdScopes).ToList(),
            CodeChallenge = request.CodeChallenge,
            CodeChallengeMethod = string.IsNullOrEmpty(request.CodeChallengeMethod) ? "plain" : request.CodeChallengeMethod,
            Nonce = string.IsNullOrEmpty(request.Nonce) ? null : request.Nonce,
            IssuedAt = now,
            ExpiresAt = now.AddMinutes(10),
        });
        await db.SaveChangesAsync(ct);
        var parameters = new Dictionary<string, string?> { ["code"] = code, ["state"] = NullIfEmpty(request.State), ["session_state"] = Guid.NewGuid().ToString() };
        return Respond(request, parameters);
    }

    private IResult Redirect(PendingAuthorization request, AadException error)
    {
        var body = error.ToBody(time.GetUtcNow(), null);
        var parameters = new Dictionary<string, string?>
        {
            ["error"] = error.Error,
            ["error_description"] = body.ErrorDescription,
            ["error_uri"] = body.ErrorUri,
            ["state"] = NullIfEmpty(request.State),
        };
        return Respond(request, parameters);
    }

    private static IResult Respond(PendingAuthorization request, Dictionary<string, string?> parameters)
    {
        var values = parameters.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);
        if (request.ResponseMode == "form_post")
        {
            return AuthorizePages.FormPost(request.RedirectUri, values!);
        }

        if (request.ResponseMode == "fragment")
        {
            var fragment = string.Join('&', values.Select(v => $"{Uri.EscapeDataString(v.Key)}={Uri.EscapeDataString(v.Value!)}"));
            return Results.Redirect(request.RedirectUri + "#" + fragment);
        }

        return Results.Redirect(QueryHelpers.AddQueryString(request.RedirectUri, values));
    }

    /// <summary>Exact match, except that for http loopback addresses the port is ignored (as Entra does for native apps).</summary>
    internal static bool RedirectUriMatches(IEnumerable<string> registered, string candidate)
    {
        if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri))
        {
            return false;
        }

        foreach (var item in registered)
        {
            if (string.Equals(item, candidate, StringComparison.Ordinal))
            {
                return true;
            }

            if (Uri.TryCreate(item, UriKind.Absolute, out var reg) && reg.Scheme == Uri.UriSchemeHttp && uri.Scheme == Uri.UriSchemeHttp
                && reg.IsLoopback && string.Equals(reg.Host, uri.Host, StringComparison.OrdinalIgnoreCase)
                && string.Equals(reg.AbsolutePath, uri.AbsolutePath, StringComparison.Ordinal) && reg.Query == uri.Query)
            {
                return true;
            }
        }

        return false;
    }

    private static string ActionUrl(HttpContext http, string tenant, string action) =>
        $"{http.Request.PathBase}{SandboxHosts.LoginPathPrefix}/{Uri.EscapeDataString(tenant)}/oauth2/v2.0/{action}";

    private string Protect(PendingAuthorization request) =>
        protection.CreateProtector("HaloPortal.Sandbox.Authorize")
            .Protect(JsonSerializer.Serialize(new ProtectedPage(request, time.GetUtcNow().Add(PageLifetime))));

    private PendingAuthorization? Unprotect(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        try
        {
            var page = JsonSerializer.Deserialize<ProtectedPage>(protection.CreateProtector("HaloPortal.Sandbox.Authorize").Unprotect(value));
            return page is null || page.ExpiresAt < time.GetUtcNow() ? null : page.Request;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    private sealed record ProtectedPage(PendingAuthorization Request, DateTimeOffset ExpiresAt);

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;

    internal sealed record PendingAuthorization(
        Guid TenantId,
        Guid AppId,
        string RedirectUri,
        string Scope,
        string State,
        string Nonce,
        string CodeChallenge,
        string CodeChallengeMethod,
        string ResponseMode,
        string Prompt,
        string LoginHint,
        Guid? UserId);
}
