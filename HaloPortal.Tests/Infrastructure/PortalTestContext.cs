using System.Security.Claims;
using AngleSharp.Dom;
using Bunit;
using Hangfire;
using HaloPortal.Engine.Data;
using HaloPortal.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using MudBlazor;
using MudBlazor.Services;

namespace HaloPortal.Tests.Infrastructure;

/// <summary>
/// The one bUnit set-up for portal components: the real engine (and the sandbox) on a migrated <see cref="TestDatabase"/>,
/// Hangfire with in-memory storage and no server (jobs are queued, not run), MudBlazor without transitions and with loose JS
/// interop, and a signed-in user whose roles are checked by the portal's real policies. Screens' own contexts derive from it
/// and add their settings and data builders. MudBlazor's services dispose only asynchronously: use <c>await using</c>.
/// </summary>
public class PortalTestContext : BunitContext
{
    /// <summary>The fake clock's start.</summary>
    public static readonly DateTimeOffset Now = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);

    private IRenderedComponent<MudDialogProvider>? _dialogs;
    private IRenderedComponent<MudPopoverProvider>? _popovers;

    /// <param name="settings">Configuration on top of the test defaults (keys like <c>Portal:Instance</c>).</param>
    /// <param name="fakeClock">Time is <see cref="Clock"/> (from <see cref="Now"/>); false keeps the system clock.</param>
    public PortalTestContext(IReadOnlyDictionary<string, string?>? settings = null, bool fakeClock = true)
    {
        Database = TestDatabase.Create();
        if (fakeClock)
        {
            Services.AddSingleton<TimeProvider>(Clock);
        }

        Services.AddTestEngine(Database, settings);
        // Hangfire's log provider is process-wide: the portal's disposal-safe one, so a portal host started by another test class
        // never logs through this context's logger factory after it is disposed.
        Services.AddHangfire((sp, c) => c.UseLogProvider(new HangfireLogProvider(sp.GetRequiredService<ILoggerFactory>())).UseInMemoryStorage());
        Services.AddMudServices(options =>
        {
            options.SnackbarConfiguration.ShowTransitionDuration = 0;
            options.SnackbarConfiguration.HideTransitionDuration = 0;
            options.PopoverOptions.CheckForPopoverProvider = false;
        });
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public TestDatabase Database { get; }

    public FakeTimeProvider Clock { get; } = new(Now);

    public IDbContextFactory<PortalDbContext> Contexts => Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();

    /// <summary>Where dialogs open (rendered by <see cref="RenderWithProviders{TComponent}"/>).</summary>
    public IRenderedComponent<MudDialogProvider> Dialogs => _dialogs ?? throw new InvalidOperationException("Call RenderWithProviders first.");

    /// <summary>Where select lists and menus open.</summary>
    public IRenderedComponent<MudPopoverProvider> Popovers => _popovers ?? throw new InvalidOperationException("Call RenderWithProviders first.");

    /// <summary>Signs <paramref name="userName"/> in with <paramref name="roles"/>; the portal's real role policies decide what they may see. Call before the first render.</summary>
    public PortalTestContext SignIn(string userName, IEnumerable<string> roles, params Claim[] claims)
    {
        var authorization = AddAuthorization();
        authorization.SetAuthorized(userName);
        authorization.SetRoles([.. roles]);
        if (claims.Length > 0)
        {
            authorization.SetClaims(claims);
        }

        // bUnit's stand-in grants policies by name; evaluate the portal's real role policies against the user's roles instead.
        Services.AddAuthorizationBuilder().AddPortalPolicies();
        Services.AddTransient<IAuthorizationService, DefaultAuthorizationService>();
        Services.AddSingleton<IAuthorizationPolicyProvider, DefaultAuthorizationPolicyProvider>();
        return this;
    }

    /// <summary>Runs the engine's start-up tasks (roles, bootstrap administrator, sweeps, sandbox seeding) as the host would.</summary>
    public Task StartEngineAsync() => Services.StartEngineAsync();

    /// <summary>Renders a component after the providers MudBlazor needs for selects, dialogs and snackbars.</summary>
    public IRenderedComponent<TComponent> RenderWithProviders<TComponent>(Action<ComponentParameterCollectionBuilder<TComponent>>? parameters = null)
        where TComponent : IComponent
    {
        _popovers = Render<MudPopoverProvider>();
        _dialogs = Render<MudDialogProvider>();
        Render<MudSnackbarProvider>();
        return Render<TComponent>(parameters ?? (_ => { }));
    }

    /// <summary>Opens a MudSelect (found by its data-testid) and picks the option whose text contains <paramref name="text"/>.</summary>
    public void Choose<T>(IRenderedComponent<T> cut, string testId, string text) where T : IComponent
    {
        cut.Find($"[data-testid='{testId}']").Closest(".mud-input-control")!.MouseDown();
        Popovers.WaitForElements(".mud-list-item")
            .First(e => e.TextContent.Contains(text, StringComparison.Ordinal))
            .Click();
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        SqliteConnection.ClearAllPools();
        Database.Dispose();
    }
}
