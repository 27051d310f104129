using HaloPortal.Engine;
using HaloPortal.Engine.Data;
using HaloPortal.Sandbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace HaloPortal.Tests.Infrastructure;

/// <summary>The real engine (<c>AddHaloEngine</c>) on a <see cref="TestDatabase"/>, without the web host.</summary>
public static class TestEngine
{
    /// <summary>
    /// Registers the engine on <paramref name="database"/>; <paramref name="settings"/> adds configuration (e.g. <c>Portal:Instance</c>);
    /// <paramref name="environmentName"/> is the host environment the engine sees (Production asks for a first-run setup code).
    /// </summary>
    public static IServiceCollection AddTestEngine(this IServiceCollection services, TestDatabase database, IReadOnlyDictionary<string, string?>? settings = null, string environmentName = "Testing")
    {
        var values = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Portal"] = database.ConnectionString,
            ["Portal:DataDirectory"] = database.Directory,
            ["Portal:DataProtection:KeyDirectory"] = database.Directory + "-keys",
            ["Sandbox:Enabled"] = "true", // on by default only in Development; engine tests drive it in "Testing"
        };
        foreach (var (key, value) in TestProvider.PortalSettings())
        {
            values[key] = value;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        var environment = new HostingEnvironment
        {
            EnvironmentName = environmentName,
            ApplicationName = "HaloPortal.Tests",
            ContentRootPath = database.Directory,
        };
        services.AddHaloEngine(configuration, environment);
        services.AddSandbox(configuration, environment);
        return services;
    }

    /// <summary>Runs the engine's start-up tasks (roles, bootstrap administrator, sweeps) as the host would after migrating.</summary>
    public static async Task StartEngineAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        foreach (var task in services.GetServices<IStartupTask>().OrderBy(t => t.Order))
        {
            await task.RunAsync(cancellationToken);
        }
    }

    /// <summary>A started engine on <paramref name="database"/>, for engine tests.</summary>
    public static async Task<ServiceProvider> StartAsync(TestDatabase database, Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection().AddTestEngine(database);
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        await provider.StartEngineAsync();
        return provider;
    }
}
