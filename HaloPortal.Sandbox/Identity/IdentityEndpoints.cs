using HaloPortal.Sandbox.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Sandbox.Identity;

/// <summary><c>/sandbox/login/{tenant}/...</c>: the Entra ID endpoints MSAL and browsers use. Anonymous, like the real service.</summary>
internal static class IdentityEndpoints
{
    public static void MapSandboxIdentity(this IEndpointRouteBuilder endpoints)
    {
        var login = endpoints.MapGroup(SandboxHosts.LoginPathPrefix + "/{tenant}").AllowAnonymous().ExcludeFromDescription();

        login.MapGet("/v2.0/.well-known/openid-configuration", async (string tenant, HttpContext http, IDbContextFactory<SandboxDbContext> contexts, TimeProvider time) =>
        {
            await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
            var found = await db.FindTenantAsync(tenant, http.RequestAborted);
            if (found is null)
            {
                return Results.Json(AadException.TenantNotFound(tenant).ToBody(time.GetUtcNow(), null), statusCode: 400);
            }

            var baseUrl = LinkBase(http, SandboxHosts.LoginHost, SandboxHosts.LoginPathPrefix) + tenant;
            return Results.Json(new Dictionary<string, object?>
            {
                ["token_endpoint"] = baseUrl + "/oauth2/v2.0/token",
                ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_post", "private_key_jwt", "client_secret_basic" },
                ["jwks_uri"] = baseUrl + "/discovery/v2.0/keys",
                ["response_modes_supported"] = new[] { "query", "fragment", "form_post" },
                ["subject_types_supported"] = new[] { "pairwise" },
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
                ["response_types_supported"] = new[] { "code" },
                ["scopes_supported"] = ScopeRequest.OpenIdNames,
                ["issuer"] = SandboxHosts.Issuer(found.Id),
                ["request_uri_parameter_supported"] = false,
                ["authorization_endpoint"] = baseUrl + "/oauth2/v2.0/authorize",
                ["code_challenge_methods_supported"] = new[] { "plain", "S256" },
                ["http_logout_supported"] = false,
                ["claims_supported"] = new[] { "sub", "iss", "aud", "exp", "iat", "nonce", "preferred_username", "name", "tid", "ver", "oid", "email" },
                ["tenant_region_scope"] = null,
                ["cloud_instance_name"] = "sandbox.haloportal.invalid",
                ["msgraph_host"] = SandboxHosts.GraphHost,
            });
        });

        login.MapGet("/discovery/v2.0/keys", async (string tenant, HttpContext http, IDbContextFactory<SandboxDbContext> contexts, TenantKeys keys, TimeProvider time) =>
        {
            await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
            var found = await db.FindTenantAsync(tenant, http.RequestAborted);
            if (found is null)
            {
                return Results.Json(AadException.TenantNotFound(tenant).ToBody(time.GetUtcNow(), null), statusCode: 400);
            }

            var key = await keys.GetAsync(found.Id, http.RequestAborted);
            return Results.Json(new { keys = new[] { key.Jwk() } });
        });

        login.MapPost("/oauth2/v2.0/token", (string tenant, HttpContext http, TokenEndpoint endpoint) => endpoint.HandleAsync(http, tenant));
        login.MapGet("/oauth2/v2.0/authorize", (string tenant, HttpContext http, AuthorizeEndpoint endpoint) => endpoint.StartAsync(http, tenant));
        login.MapPost("/oauth2/v2.0/authorize", (string tenant, HttpContext http, AuthorizeEndpoint endpoint) => endpoint.SignInAsync(http, tenant));
        login.MapPost("/oauth2/v2.0/consent", (HttpContext http, AuthorizeEndpoint endpoint) => endpoint.ConsentAsync(http));
    }

    /// <summary>The base links are written with: the virtual host when the caller came through the connector, else as reached.</summary>
    internal static string LinkBase(HttpContext http, string virtualHost, string pathPrefix)
    {
        var header = http.Request.Headers[SandboxHosts.VirtualHostHeader].ToString();
        return string.Equals(header, virtualHost, StringComparison.OrdinalIgnoreCase)
            ? $"https://{virtualHost}/"
            : $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{pathPrefix}/";
    }
}
