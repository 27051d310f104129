using HaloPortal.Engine.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HaloPortal.Engine.Accounts;

internal static class AccountsExtensions
{
    /// <summary>ASP.NET Core Identity on the portal database (users, roles, password rules, lockout) and the account services.</summary>
    public static IServiceCollection AddPortalAccounts(this IServiceCollection services, IHostEnvironment environment)
    {
        services.AddIdentityCore<PortalUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.Password.RequiredLength = 10;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequireUppercase = false;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                options.SignIn.RequireConfirmedAccount = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddDefaultTokenProviders();

        services.AddSingleton<IApiKeys, ApiKeyStore>();
        services.AddSingleton(new FirstRunPolicy(RequireSetupCode: environment.IsProduction()));
        services.AddSingleton<FirstRunSetup>();
        services.AddSingleton<IFirstRunSetup>(sp => sp.GetRequiredService<FirstRunSetup>());
        services.AddSingleton<IAgents, Agents>();
        services.AddSingleton<IExternalAccounts, ExternalAccounts>();
        services.AddSingleton<IStartupTask, AccountStartupTask>();
        return services;
    }
}
