using HaloPortal.Sandbox.Graph;
using Microsoft.Extensions.Options;

namespace HaloPortal.Sandbox.Webhooks;

/// <summary>Graph's validation handshake: <c>POST {url}?validationToken=...</c>, expecting 200 with the token as the whole text body.</summary>
internal sealed class SubscriptionValidator(IHttpClientFactory httpClients, IOptions<SandboxOptions> options, SandboxCallbackPolicy callbacks)
{
    public async Task ValidateAsync(string url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new GraphRequestException(400, "InvalidRequest", "Subscription validation request failed. Notification endpoint must be an absolute https URL.");
        }

        if (!callbacks.IsAllowed(uri))
        {
            throw new GraphRequestException(400, "InvalidRequest", "Subscription validation request failed. " + SandboxCallbackPolicy.Refusal(uri));
        }

        var token = $"Validation: Testing client application reachability for subscription Request-Id: {Guid.NewGuid()}";
        var separator = string.IsNullOrEmpty(uri.Query) ? "?" : "&";
        var http = httpClients.CreateClient(SandboxHttpClients.Outbound);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.ValidationTimeoutSeconds));
        try
        {
            using var content = new StringContent("", System.Text.Encoding.UTF8, "text/plain");
            using var response = await http.PostAsync(url + separator + "validationToken=" + Uri.EscapeDataString(token), content, timeout.Token);
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
            {
                throw new GraphRequestException(400, "InvalidRequest",
                    "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.");
            }

            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            if (!string.Equals(body, token, StringComparison.Ordinal))
            {
                throw new GraphRequestException(400, "InvalidRequest",
                    "Subscription validation request failed. Response must exactly match validationToken query parameter.");
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new GraphRequestException(400, "InvalidRequest", "Subscription validation request timed out.");
        }
        catch (HttpRequestException)
        {
            throw new GraphRequestException(400, "InvalidRequest",
                "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.");
        }
    }
}
