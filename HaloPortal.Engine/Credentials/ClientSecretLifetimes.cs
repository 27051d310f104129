namespace HaloPortal.Engine.Credentials;

/// <summary>
/// Where the expiry of a pasted client secret can be known without asking the administrator. Entra does not put it in the
/// secret's value and reading it from the app registration needs a directory permission the portal does not ask for, so for
/// the Microsoft clouds it is unknown (null) and the form asks for it; a tenant that knows its secrets (the sandbox) answers.
/// </summary>
public interface IClientSecretLifetimes
{
    /// <summary>When the secret expires, or null when that cannot be known here.</summary>
    Task<DateTimeOffset?> ExpiresAtAsync(GraphAuthority authority, string clientId, string secret, CancellationToken cancellationToken = default);

    /// <summary>Azure's recommended lifetime for a new client secret (the date the form suggests when the real one is unknown).</summary>
    public static readonly TimeSpan RecommendedLifetime = TimeSpan.FromDays(180);
}

/// <summary>No tenant here that knows its secrets.</summary>
internal sealed class UnknownClientSecretLifetimes : IClientSecretLifetimes
{
    public Task<DateTimeOffset?> ExpiresAtAsync(GraphAuthority authority, string clientId, string secret, CancellationToken cancellationToken = default) =>
        Task.FromResult<DateTimeOffset?>(null);
}
