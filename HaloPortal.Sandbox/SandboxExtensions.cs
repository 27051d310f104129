using HaloPortal.Engine.Data;
using HaloPortal.Sandbox.Control;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Demo;
using HaloPortal.Sandbox.Graph;
using HaloPortal.Sandbox.Identity;
using HaloPortal.Sandbox.Mail;
using HaloPortal.Sandbox.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HaloPortal.Sandbox;

/// <summary>Registration and endpoints of the sandbox tenant (an offline Entra ID + Graph mail served under <c>/sandbox</c>).</summary>
public static class SandboxExtensions
{
    /// <summary>
    /// Registers the sandbox when <c>Sandbox:Enabled</c> (default: on only in Development): its own database
    /// (<c>sandbox.db</c> in the data directory), the control and demo services, and notification delivery.
    /// <see cref="ISandboxConnector"/> is always registered so engine code can address the sandbox hosts uniformly.
    /// </summary>
    public static IServiceCollection AddSandbox(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var explicitly = configuration.GetValue<bool?>($"{SandboxOptions.SectionName}:{nameof(SandboxOptions.Enabled)}");
        var enabled = explicitly ?? environment.IsDevelopment();
        services.AddOptions<SandboxOptions>().BindConfiguration(SandboxOptions.SectionName)
            .Configure(o => o.Enabled = enabled)
            .ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISandboxConnector, SandboxConnector>();
        services.AddSandboxAuthority();
        if (!enabled)
        {
            return services;
        }

        var file = Path.Combine(configuration.DataDirectory(environment), "sandbox.db");
        services.AddPooledDbContextFactory<SandboxDbContext>(o => o.UseSqlite($"Data Source={file}", s => s.MigrationsHistoryTable("__sandbox_migrations")).AddInterceptors(new SqlitePragmas()));
        if (!environment.IsDevelopment())
        {
            services.AddSingleton<IStartupTask>(sp => new SandboxExposureWarning(environment.EnvironmentName, sp.GetRequiredService<ILogger<SandboxExposureWarning>>()));
        }

        // Outbound calls reach only loopback, the portal itself and Sandbox:AllowedCallbackHosts; redirects are not followed,
        // so an allowed host cannot bounce the sandbox to another one.
        services.AddSingleton<SandboxCallbackPolicy>();
        services.AddHttpClient(SandboxHttpClients.Outbound)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<ISandboxConnector>().CreateHandler(
                new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) }))
            .AddHttpMessageHandler(sp => new SandboxCallbackGuard(sp.GetRequiredService<SandboxCallbackPolicy>()));

        services.AddSingleton<TenantKeys>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<ClientAuthenticator>();
        services.AddSingleton<Engine.Credentials.IClientSecretLifetimes, SandboxSecretLifetimes>();
        services.AddSingleton<TokenEndpoint>();
        services.AddSingleton<AuthorizeEndpoint>();
        services.AddSingleton<GraphTokenValidator>();
        services.AddSingleton<SandboxDirectoryCache>();
        services.AddSingleton(_ => new GraphRouter(GraphRoutes.All()));
        services.AddSingleton<Throttler>();
        services.AddSingleton<FaultRegistry>();
        services.AddSingleton<GraphPipeline>();
        services.AddSingleton<MailStore>();
        services.AddSingleton<AttachmentUploads>();
        services.AddSingleton<WebhookSignal>();
        services.AddSingleton<ChangeNotifier>();
        services.AddSingleton<SubscriptionValidator>();
        services.AddSingleton<ISandboxControl, SandboxControl>();
        services.AddSingleton<ISandboxDemo, SandboxDemo>();
        services.AddSingleton<IStartupTask, SandboxStartupTask>();
        services.AddSingleton<IStartupTask, DemoMailboxSeeder>();
        services.AddSingleton<IStartupTask, DemoContactsSeeder>();
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }

    /// <summary>Maps <c>/sandbox/login</c>, <c>/sandbox/graph</c> and <c>/sandbox/api</c>. While the sandbox is disabled none of them
    /// exist: one anonymous catch-all answers 404 for every /sandbox path (otherwise anonymous callers would get the portal's
    /// sign-in redirect or an API 401 and could not tell "disabled" from "not signed in").</summary>
    public static IEndpointRouteBuilder MapSandbox(this IEndpointRouteBuilder endpoints)
    {
        if (!endpoints.ServiceProvider.GetRequiredService<IOptions<SandboxOptions>>().Value.Enabled)
        {
            endpoints.Map("/sandbox/{**rest}", () => Results.NotFound()).AllowAnonymous().ExcludeFromDescription();
            return endpoints;
        }

        endpoints.MapSandboxIdentity();
        endpoints.Map(SandboxHosts.GraphPathPrefix + "/{**path}", (HttpContext http, GraphPipeline pipeline) => pipeline.HandleHttpAsync(http))
            .AllowAnonymous()
            .ExcludeFromDescription();
        // Attachment upload URLs are pre-authenticated, as Outlook's are: no token, only the URL's own secret.
        endpoints.MapMethods(SandboxHosts.GraphPathPrefix + "/" + AttachmentUploads.PathSegment + "/{token}", ["PUT", "GET", "DELETE"],
                (HttpContext http, string token, AttachmentUploads uploads) => uploads.HandleHttpAsync(http, token))
            .AllowAnonymous()
            .DisableAntiforgery()
            .ExcludeFromDescription();
        endpoints.MapSandboxControl();
        return endpoints;
    }
}
