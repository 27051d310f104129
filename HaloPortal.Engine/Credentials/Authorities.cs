using HaloPortal.Engine.Errors;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Credentials;

/// <summary>The sign-in and Graph hosts of a cloud.</summary>
/// <param name="LoginHost">Entra ID host, e.g. login.microsoftonline.com.</param>
/// <param name="GraphHost">Microsoft Graph host, e.g. graph.microsoft.com.</param>
/// <param name="ScopeResource">The resource whose <c>.default</c> and named scopes are requested.</param>
public sealed record AuthorityEndpoints(GraphAuthority Authority, string DisplayName, string LoginHost, string GraphHost, string ScopeResource)
{
    public string AuthorityUrl(string tenantId) => $"https://{LoginHost}/{tenantId}/";

    public string GraphBaseUrl => $"https://{GraphHost}/v1.0";

    public string DefaultScope => $"{ScopeResource}/.default";

    public string Scope(string permission) => $"{ScopeResource}/{permission}";

    /// <summary>Whether MSAL knows this cloud, so it may validate the authority and discover instances; false for a cloud served by
    /// something else under virtual hosts (the sandbox tenant).</summary>
    public bool KnownToMsal { get; init; } = true;
}

/// <summary>Why credentials cannot use an authority on this portal now.</summary>
/// <param name="Message">Refuses the choice in the credential editor and the API.</param>
/// <param name="Error">Shown on saved credentials that use the authority.</param>
public sealed record AuthorityRefusal(string Message, KnownError Error);

/// <summary>Every authority a credential can use on this portal: Microsoft's clouds, and those registered with
/// <see cref="Authorities.AddAuthority"/> (the sandbox tenant).</summary>
public interface IAuthorities
{
    IReadOnlyList<AuthorityEndpoints> All { get; }

    /// <exception cref="InvalidOperationException">The authority is not registered on this portal.</exception>
    AuthorityEndpoints For(GraphAuthority authority);

    /// <summary>Why credentials may not use <paramref name="authority"/> now, or null when they may.</summary>
    AuthorityRefusal? RefusalOf(GraphAuthority authority);
}

/// <summary>Microsoft's clouds with their real hosts, and the registration of further authorities. The sandbox differs only by its hosts.</summary>
public static class Authorities
{
    public static readonly IReadOnlyList<AuthorityEndpoints> Clouds =
    [
        new(GraphAuthority.Global, "Microsoft Graph Global Service", "login.microsoftonline.com", "graph.microsoft.com", "https://graph.microsoft.com"),
        new(GraphAuthority.UsGovL4, "US Government L4", "login.microsoftonline.us", "graph.microsoft.us", "https://graph.microsoft.us"),
        new(GraphAuthority.UsGovL5, "US Government L5 (DoD)", "login.microsoftonline.us", "dod-graph.microsoft.us", "https://dod-graph.microsoft.us"),
        new(GraphAuthority.China, "China (21Vianet)", "login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
    ];

    /// <summary>One of Microsoft's clouds.</summary>
    public static AuthorityEndpoints Cloud(GraphAuthority authority) => Clouds.Single(a => a.Authority == authority);

    /// <summary>Makes <paramref name="endpoints"/> an authority credentials can choose, after Microsoft's clouds; <paramref name="refusal"/>
    /// says, whenever asked, why it cannot be used now (null: it can).</summary>
    public static IServiceCollection AddAuthority(this IServiceCollection services, AuthorityEndpoints endpoints, Func<IServiceProvider, AuthorityRefusal?>? refusal = null)
    {
        services.AddSingleton(new AuthorityRegistration(endpoints, refusal));
        return services;
    }
}

internal sealed record AuthorityRegistration(AuthorityEndpoints Endpoints, Func<IServiceProvider, AuthorityRefusal?>? Refusal);

internal sealed class AuthorityRegistry : IAuthorities
{
    private readonly IServiceProvider _services;
    private readonly Dictionary<GraphAuthority, AuthorityRegistration> _registered;

    public AuthorityRegistry(IServiceProvider services, IEnumerable<AuthorityRegistration> registrations)
    {
        _services = services;
        _registered = Authorities.Clouds.Select(c => new AuthorityRegistration(c, null)).Concat(registrations)
            .GroupBy(r => r.Endpoints.Authority).ToDictionary(g => g.Key, g => g.Last());
        All = _registered.Values.Select(r => r.Endpoints).ToList();
    }

    public IReadOnlyList<AuthorityEndpoints> All { get; }

    public AuthorityEndpoints For(GraphAuthority authority) => _registered.TryGetValue(authority, out var r)
        ? r.Endpoints
        : throw new InvalidOperationException($"The {authority} authority is not available on this portal.");

    public AuthorityRefusal? RefusalOf(GraphAuthority authority) => _registered.TryGetValue(authority, out var r)
        ? r.Refusal?.Invoke(_services)
        : new AuthorityRefusal($"The {authority} authority is not available on this portal.", KnownErrors.Find(KnownErrors.SandboxDisabled)!);
}
