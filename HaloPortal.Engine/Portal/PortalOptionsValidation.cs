using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HaloPortal.Engine.Portal;

/// <summary>
/// The checks on <see cref="PortalOptions"/> that data annotations cannot express: long enough configured API keys, proxy
/// addresses that parse, and in the Production environment an https <c>Portal:PublicBaseUrl</c>. Each failure names the setting.
/// </summary>
internal sealed class PortalOptionsValidation(IHostEnvironment environment) : IValidateOptions<PortalOptions>
{
    /// <summary>Configured keys are compared as given, so they must be long enough not to be guessed.</summary>
    public const int MinimumApiKeyLength = 32;

    public ValidateOptionsResult Validate(string? name, PortalOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            if (!string.IsNullOrEmpty(key) && key.Length < MinimumApiKeyLength)
            {
                failures.Add($"Portal:ApiKeys:{i} is {key.Length} characters long; use at least {MinimumApiKeyLength} random characters (e.g. the output of `openssl rand -hex 32`).");
            }
        }

        ValidatePublicBaseUrl(options.PublicBaseUrl, failures);
        for (var i = 0; i < options.ForwardedHeaders.KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(options.ForwardedHeaders.KnownProxies[i]?.Trim(), out _))
            {
                failures.Add($"Portal:ForwardedHeaders:KnownProxies:{i} ('{options.ForwardedHeaders.KnownProxies[i]}') is not an IP address, e.g. 10.0.0.5.");
            }
        }

        for (var i = 0; i < options.ForwardedHeaders.KnownNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(options.ForwardedHeaders.KnownNetworks[i]?.Trim(), out _))
            {
                failures.Add($"Portal:ForwardedHeaders:KnownNetworks:{i} ('{options.ForwardedHeaders.KnownNetworks[i]}') is not a network in CIDR notation, e.g. 10.0.0.0/24.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void ValidatePublicBaseUrl(string? value, List<string> failures)
    {
        if (!environment.IsProduction())
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            failures.Add("Portal:PublicBaseUrl is required in Production: set it to the https address browsers and Microsoft Graph reach the portal at, "
                + "e.g. Portal__PublicBaseUrl=https://helpdesk.example.com (the OAuth redirect URI and webhook URLs are built from it).");
            return;
        }

        // http is accepted only for the portal's own machine (a local trial of the container); anything reachable needs TLS.
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && !(url.Scheme == Uri.UriSchemeHttp && url.IsLoopback)))
        {
            failures.Add($"Portal:PublicBaseUrl ('{value}') must be an absolute https URL in Production, e.g. https://helpdesk.example.com.");
        }
    }
}
