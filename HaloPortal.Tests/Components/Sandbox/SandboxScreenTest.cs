using AngleSharp.Dom;
using Bunit;
using HaloPortal.Components.Pages.Sandbox;
using HaloPortal.Engine.Portal;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace HaloPortal.Tests.Components.Sandbox;

/// <summary>
/// The Sandbox screen on the real engine: <see cref="TestEngine"/> runs in the Testing environment, so the sandbox is enabled
/// with its own <c>sandbox.db</c> in the test's temporary data folder and the demo tenant seeded at start.
/// </summary>
public abstract class SandboxScreenTest : ComponentTest
{
    private IRenderedComponent<MudPopoverProvider>? _popovers;

    protected ISandboxControl Control => Context.Services.GetRequiredService<ISandboxControl>();

    protected SandboxDemoTenant Demo => Context.Services.GetRequiredService<ISandboxDemo>().GetAsync().GetAwaiter().GetResult()
        ?? throw new InvalidOperationException("The sandbox demo tenant was not seeded.");

    /// <summary>Where dialogs open.</summary>
    protected IRenderedComponent<MudDialogProvider> Dialogs { get; private set; } = default!;

    /// <summary>Signs in an administrator and renders the Sandbox page's section ("" tenants, "mail", "faults") with MudBlazor's providers.</summary>
    protected async Task<IRenderedComponent<SandboxPage>> OpenAsync(string section = "")
    {
        await SignedInAsAsync("admin@example.com", PortalRoles.Administrator);
        _popovers = Context.Render<MudPopoverProvider>();
        Dialogs = Context.Render<MudDialogProvider>();
        Context.Render<MudSnackbarProvider>();
        return Context.Render<SandboxPage>(p => p.Add(c => c.Section, section == "" ? null : section));
    }

    /// <summary>Opens a MudSelect (by data-testid, inside <paramref name="scope"/>) and picks the option whose text contains <paramref name="text"/>.</summary>
    protected void Choose(IElement select, string text)
    {
        select.Closest(".mud-input-control")!.MouseDown();
        _popovers!.WaitForElements(".mud-list-item").First(e => e.TextContent.Contains(text, StringComparison.Ordinal)).Click();
    }
}

internal static class SandboxUi
{
    public static IElement ByTestId<T>(this IRenderedComponent<T> cut, string testId) where T : IComponent =>
        cut.Find($"[data-testid='{testId}']");

    public static bool Has<T>(this IRenderedComponent<T> cut, string testId) where T : IComponent =>
        cut.FindAll($"[data-testid='{testId}']").Count > 0;
}
