using HaloPortal.Engine.Credentials;

namespace HaloPortal.Engine.Subscriptions;

/// <summary>Where Graph notifies this portal when <c>Portal:PublicBaseUrl</c> is not set, for an authority served by the portal itself
/// (the sandbox tenant). Microsoft's clouds have no fallback: they need the public address.</summary>
public interface IPublicAddressFallback
{
    /// <summary>The base address (scheme and authority) notifications for <paramref name="authority"/> go to, with a note saying why it was
    /// chosen; null when this fallback does not serve the authority.</summary>
    PublicAddress? For(GraphAuthority authority);
}

/// <param name="BaseUrl">E.g. <c>http://127.0.0.1:5080</c>, without a trailing slash.</param>
/// <param name="Note">Shown with the subscription: why this address, and what to set before using a real tenant.</param>
public sealed record PublicAddress(string BaseUrl, string Note);
