using System.Net;
using System.Net.Http.Headers;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Tokens;

namespace HaloPortal.Engine.Graph;

/// <summary>
/// The one place a refused access token is renewed: when Graph answers 401 to a request that carried a token (a cached token
/// the service no longer accepts, e.g. after a clock change or a revoked session), a fresh token is acquired past the cache and
/// the request is sent once more. A second 401 is the answer.
/// </summary>
internal sealed class TokenRefreshHandler(ICredentialTokens tokens, MailboxCredential credential) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Authorization is not { Scheme: "Bearer" } sent)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        // Keep the body readable for a second send.
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        if (body is not null)
        {
            request.Content = Copy(request.Content!, body);
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        var fresh = await tokens.GetAccessTokenAsync(credential, forceRefresh: true, cancellationToken);
        if (fresh == sent.Parameter)
        {
            return response;
        }

        response.Dispose();
        var again = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        foreach (var header in request.Headers)
        {
            again.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        foreach (var option in request.Options)
        {
            ((IDictionary<string, object?>)again.Options)[option.Key] = option.Value;
        }

        again.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fresh);
        if (body is not null)
        {
            again.Content = Copy(request.Content!, body);
        }

        return await base.SendAsync(again, cancellationToken);
    }

    private static ByteArrayContent Copy(HttpContent original, byte[] body)
    {
        var copy = new ByteArrayContent(body);
        foreach (var header in original.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        return copy;
    }
}
