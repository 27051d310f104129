using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Users;

internal static class UsersExtensions
{
    /// <summary>Requesters and their sites, with the default site created at start-up.</summary>
    public static IServiceCollection AddUsers(this IServiceCollection services)
    {
        services.AddSingleton<ISites, SiteService>();
        services.AddSingleton<IUsers, UserService>();
        services.AddSingleton<Data.IStartupTask, DefaultSiteStartupTask>();
        return services;
    }
}
