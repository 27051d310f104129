using HaloPortal.Engine.Data.KeyRing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HaloPortal.Engine.Data;

public static class DataExtensions
{
    /// <summary>The file the embedded default keeps under the content root when no connection string is given.</summary>
    public const string DefaultDatabaseFile = "data/portal.db";

    /// <summary>Resolves the portal's connection string: <c>ConnectionStrings:Portal</c>, else SQLite under the content root's <c>data/</c>.</summary>
    public static string PortalConnectionString(this IConfiguration configuration, IHostEnvironment environment)
    {
        var configured = configuration.GetConnectionString("Portal");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        var path = Path.Combine(environment.ContentRootPath, DefaultDatabaseFile);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return $"Data Source={path}";
    }

    /// <summary>The folder beside the portal database where other embedded files (the sandbox's database) live.</summary>
    public static string DataDirectory(this IConfiguration configuration, IHostEnvironment environment)
    {
        var configured = configuration["Portal:DataDirectory"];
        var dir = string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(environment.ContentRootPath, "data")
            : Path.GetFullPath(configured, environment.ContentRootPath);
        Directory.CreateDirectory(dir);
        return dir;
    }

    internal static IServiceCollection AddPortalData(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        // First hosted service: the schema must exist before Data Protection, Hangfire or any feature touches the database.
        services.AddHostedService<DatabaseMigrator>();
        services.AddOptions<DataOptions>().BindConfiguration(DataOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var provider = configuration.GetSection(DataOptions.SectionName).GetValue<DatabaseProvider?>(nameof(DataOptions.Provider)) ?? DatabaseProvider.Sqlite;
        string connectionString;
        if (provider == DatabaseProvider.Sqlite)
        {
            connectionString = configuration.PortalConnectionString(environment);
        }
        else
        {
            // No embedded default for a server database: say which setting is missing instead of falling back to a file.
            connectionString = configuration.GetConnectionString("Portal") is { Length: > 0 } configured
                ? configured
                : throw new InvalidOperationException(
                    $"Portal:Database:Provider is {provider} but ConnectionStrings:Portal is not set; give the server's connection string, "
                    + "e.g. ConnectionStrings__Portal=\"Host=127.0.0.1;Database=haloportal;Username=haloportal;Password=...\".");
        }

        // The WAL checkpointer is SQLite's alone; writers may still report to it (it then never runs a checkpoint).
        services.AddSingleton<WalCheckpointer>();
        if (provider == DatabaseProvider.Sqlite)
        {
            services.AddHostedService(sp => sp.GetRequiredService<WalCheckpointer>());
        }

        services.AddDbContextFactory<PortalDbContext>(options => PortalDatabase.Configure(options, provider, connectionString));

        // The key ring lives in the database; its keys are encrypted with a certificate kept elsewhere (see KeyRingCertificates).
        var keyCertificates = KeyRingCertificates.Resolve(configuration, environment);
        services.AddSingleton(keyCertificates);
        services.AddOptions<KeyRingOptions>().BindConfiguration(KeyRingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IStartupTask, KeyRingProtection>();
        services.AddDataProtection()
            .SetApplicationName("HaloPortal")
            .PersistKeysToDbContext<PortalDbContext>()
            .ProtectKeysWithCertificate(keyCertificates.Current)
            .UnprotectKeysWithAnyCertificate([keyCertificates.Current, .. keyCertificates.Previous]);

        return services;
    }
}
