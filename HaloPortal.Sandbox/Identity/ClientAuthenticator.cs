using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using HaloPortal.Sandbox.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HaloPortal.Sandbox.Identity;

/// <summary>How a client proved who it is; <c>appidacr</c> in Entra's terms: 0 public, 1 secret, 2 certificate or assertion.</summary>
internal sealed record ClientProof(string AppIdAcr);

/// <summary>Verifies a client secret (value, not ID), a certificate-signed client assertion, or a federated assertion.</summary>
internal sealed class ClientAuthenticator(TimeProvider time, IHttpClientFactory httpClients)
{
    private const string JwtBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private static readonly JsonWebTokenHandler Handler = new();

    public async Task<ClientProof> AuthenticateAsync(
        SandboxDbContext db, SbTenant tenant, SbApplication app, IFormCollection form, HttpRequest request, bool allowPublic, CancellationToken cancellationToken)
    {
        var secret = form["client_secret"].ToString();
        if (string.IsNullOrEmpty(secret) && BasicCredentials(request) is { } basic && basic.ClientId == app.AppId.ToString())
        {
            secret = basic.Secret;
        }

        if (!string.IsNullOrEmpty(secret))
        {
            await VerifySecretAsync(db, app, secret, cancellationToken);
            return new ClientProof("1");
        }

        var assertion = form["client_assertion"].ToString();
        if (!string.IsNullOrEmpty(assertion))
        {
            if (form["client_assertion_type"] != JwtBearerAssertion)
            {
                throw AadException.InvalidRequest(50027, "JWT token is invalid or malformed. client_assertion_type must be '" + JwtBearerAssertion + "'.");
            }

            JsonWebToken jwt;
            try
            {
                jwt = new JsonWebToken(assertion);
            }
            catch (ArgumentException)
            {
                throw AadException.InvalidClient(50027, "JWT token is invalid or malformed.");
            }

            var endpoints = TokenEndpoints(tenant, request);
            if (string.Equals(jwt.Issuer, app.AppId.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                await VerifyCertificateAssertionAsync(db, tenant, app, jwt, assertion, endpoints, cancellationToken);
            }
            else
            {
                await VerifyFederatedAssertionAsync(db, app, jwt, assertion, cancellationToken);
            }

            return new ClientProof("2");
        }

        if (allowPublic && app.AllowPublicClient)
        {
            return new ClientProof("0");
        }

        throw AadException.InvalidClient(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }

    private async Task VerifySecretAsync(SandboxDbContext db, SbApplication app, string secret, CancellationToken cancellationToken)
    {
        var hash = SandboxIds.Sha256(secret);
        var secrets = await db.Secrets.AsNoTracking().Where(s => s.ApplicationId == app.Id).ToListAsync(cancellationToken);
        var match = secrets.FirstOrDefault(s => SandboxIds.FixedTimeEquals(s.ValueHash, hash));
        if (match is null)
        {
            // The same wording whether a secret's ID was pasted or the value is wrong: Entra does not tell them apart either.
            throw AadException.InvalidClient(7000215,
                $"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app.AppId}'.");
        }

        if (match.ExpiresAt <= time.GetUtcNow())
        {
            throw AadException.InvalidClient(7000222,
                $"The provided client secret keys for app '{app.AppId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, " +
                "or consider using certificate credentials for added security: https://aka.ms/certCreds.");
        }
    }

    private async Task VerifyCertificateAssertionAsync(
        SandboxDbContext db, SbTenant tenant, SbApplication app, JsonWebToken jwt, string assertion, IReadOnlyList<string> audiences, CancellationToken cancellationToken)
    {
        var certificates = await db.Certificates.AsNoTracking().Where(c => c.ApplicationId == app.Id).ToListAsync(cancellationToken);
        var x5t = HeaderThumbprint(jwt, "x5t", SHA1.HashSizeInBytes);
        var x5tS256 = HeaderThumbprint(jwt, "x5t#S256", SHA256.HashSizeInBytes);
        var presented = x5tS256 ?? x5t ?? "";
        var registered = certificates.FirstOrDefault(c =>
            (x5t is not null && c.Thumbprint == x5t) || (x5tS256 is not null && c.ThumbprintSha256 == x5tS256));
        if (registered is null)
        {
            throw InvalidSignature(app, "The key was not found.", presented);
        }

        if (registered.ExpiresAt <= time.GetUtcNow())
        {
            throw InvalidSignature(app, "The key used is expired.", presented);
        }

        using var certificate = X509CertificateLoader.LoadCertificate(registered.RawData);
        var result = await Handler.ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            IssuerSigningKey = new X509SecurityKey(certificate),
            ValidIssuer = app.AppId.ToString(),
            ValidAudiences = audiences,
            ValidateLifetime = false,
            RequireSignedTokens = true,
        });
        if (!result.IsValid)
        {
            if (result.Exception is SecurityTokenInvalidAudienceException)
            {
                throw AadException.InvalidClient(700212,
                    $"No matching federated identity record found for presented assertion audience '{jwt.Audiences.FirstOrDefault()}'. " +
                    $"The audience must be the token endpoint, {audiences[0]}.");
            }

            throw InvalidSignature(app, "The signature is invalid.", presented);
        }

        CheckLifetime(jwt);
        if (!string.Equals(jwt.Subject, app.AppId.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            throw AadException.InvalidClient(700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials.");
        }
    }

    private async Task VerifyFederatedAssertionAsync(SandboxDbContext db, SbApplication app, JsonWebToken jwt, string assertion, CancellationToken cancellationToken)
    {
        var credentials = await db.FederatedCredentials.AsNoTracking().Where(c => c.ApplicationId == app.Id).ToListAsync(cancellationToken);
        var audience = jwt.Audiences.FirstOrDefault() ?? "";
        var match = credentials.FirstOrDefault(c =>
            string.Equals(c.Issuer, jwt.Issuer, StringComparison.Ordinal)
            && string.Equals(c.Subject, jwt.Subject, StringComparison.Ordinal)
            && jwt.Audiences.Any(a => c.Audiences.Contains(a, StringComparer.Ordinal)));
        if (match is null)
        {
            throw AadException.InvalidClient(70021,
                $"No matching federated identity record found for presented assertion. Assertion Issuer: '{jwt.Issuer}'. Assertion Subject: '{jwt.Subject}'. " +
                $"Assertion Audience: '{audience}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation");
        }

        var keys = await IssuerKeysAsync(match, cancellationToken);
        var result = await Handler.ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            IssuerSigningKeys = keys,
            ValidIssuer = match.Issuer,
            ValidAudiences = match.Audiences,
            ValidateLifetime = false,
            RequireSignedTokens = true,
        });
        if (!result.IsValid)
        {
            throw AadException.InvalidClient(700213,
                $"The client assertion from issuer '{jwt.Issuer}' failed signature validation. [Reason - {result.Exception?.Message.Split('.')[0]}.]");
        }

        CheckLifetime(jwt);
    }

    private async Task<IList<SecurityKey>> IssuerKeysAsync(SbFederatedCredential credential, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(credential.JwksJson))
        {
            return new JsonWebKeySet(credential.JwksJson).GetSigningKeys();
        }

        try
        {
            var http = httpClients.CreateClient(SandboxHttpClients.Outbound);
            var metadata = await http.GetFromJsonAsync<JsonElement>(credential.Issuer.TrimEnd('/') + "/.well-known/openid-configuration", cancellationToken);
            var jwksUri = metadata.GetProperty("jwks_uri").GetString()!;
            return new JsonWebKeySet(await http.GetStringAsync(jwksUri, cancellationToken)).GetSigningKeys();
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or KeyNotFoundException or TaskCanceledException)
        {
            throw AadException.InvalidClient(700211,
                $"The issuer '{credential.Issuer}' of the federated assertion could not be reached to read its signing keys: {ex.Message}");
        }
    }

    private void CheckLifetime(JsonWebToken jwt)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var skew = TimeSpan.FromMinutes(5);
        if (jwt.ValidTo != DateTime.MinValue && jwt.ValidTo + skew < now || jwt.ValidFrom != DateTime.MinValue && jwt.ValidFrom - skew > now)
        {
            throw AadException.InvalidClient(700024,
                $"Client assertion is not within its valid time range. Current time: {now:yyyy-MM-ddTHH:mm:ss.fffffffZ}, assertion valid from " +
                $"{jwt.ValidFrom:yyyy-MM-ddTHH:mm:ss.fffffffZ}, expiry time of assertion {jwt.ValidTo:yyyy-MM-ddTHH:mm:ss.fffffffZ}.");
        }
    }

    private static AadException InvalidSignature(SbApplication app, string reason, string thumbprint) => AadException.InvalidClient(700027,
        $"Client assertion contains an invalid signature. [Reason - {reason}, Thumbprint of key used by client: '{thumbprint}', Please visit the Azure Portal, " +
        $"Graph Explorer or directly use MS Graph to see configured keys for app Id '{app.AppId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments " +
        "to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, " +
        $"such as 'https://graph.microsoft.com/beta/applications/{app.AppId}']");

    private static string? HeaderThumbprint(JsonWebToken jwt, string header, int size)
    {
        if (!jwt.TryGetHeaderValue<string>(header, out var value) || string.IsNullOrEmpty(value))
        {
            return null;
        }

        try
        {
            var bytes = Base64UrlEncoder.DecodeBytes(value);
            return bytes.Length == size ? Convert.ToHexString(bytes) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The audiences a client assertion may carry: the token endpoint (virtual or as reached) or the issuer.</summary>
    private static List<string> TokenEndpoints(SbTenant tenant, HttpRequest request)
    {
        var tenantSegment = request.RouteValues["tenant"]?.ToString() ?? tenant.Id.ToString();
        var list = new List<string>();
        foreach (var t in new[] { tenantSegment, tenant.Id.ToString(), tenant.DefaultDomain }.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            list.Add($"{SandboxHosts.LoginBaseUrl}{t}/oauth2/v2.0/token");
            list.Add($"{request.Scheme}://{request.Host}{request.PathBase}{SandboxHosts.LoginPathPrefix}/{t}/oauth2/v2.0/token");
        }

        list.Add(SandboxHosts.Issuer(tenant.Id));
        return list;
    }

    private static (string ClientId, string Secret)? BasicCredentials(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? null : (Uri.UnescapeDataString(decoded[..colon]), Uri.UnescapeDataString(decoded[(colon + 1)..]));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
