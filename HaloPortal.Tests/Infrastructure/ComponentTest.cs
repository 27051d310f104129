namespace HaloPortal.Tests.Infrastructure;

/// <summary>
/// Owns a <see cref="PortalTestContext"/> (on the system clock) for one test and disposes it asynchronously (MudBlazor services
/// are only async-disposable, which xunit's synchronous Dispose of a test class cannot handle).
/// </summary>
public abstract class ComponentTest : IAsyncLifetime
{
    protected PortalTestContext Context { get; } = new(fakeClock: false);

    protected TestDatabase Database => Context.Database;

    /// <summary>Signs a user with these roles in and starts the engine (start-up tasks), as the host would.</summary>
    protected Task SignedInAsAsync(string userName, params string[] roles) => Context.SignIn(userName, roles).StartEngineAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Context.DisposeAsync();
}
