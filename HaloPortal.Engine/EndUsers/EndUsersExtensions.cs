using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.EndUsers;

internal static class EndUsersExtensions
{
    /// <summary>Requesters and their sites, with the default site created at start-up.</summary>
    public static IServiceCollection AddEndUsers(this IServiceCollection services)
    {
        services.AddSingleton<ISites, SiteService>();
        services.AddSingleton<IEndUsers, EndUserService>();
        services.AddSingleton<Data.IStartupTask, DefaultSiteStartupTask>();
        return services;
    }
}
