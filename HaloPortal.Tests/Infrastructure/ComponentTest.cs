using Bunit;

namespace HaloPortal.Tests.Infrastructure;

/// <summary>
/// Owns a bUnit context and its <see cref="TestDatabase"/> for one test, and disposes them asynchronously
/// (MudBlazor services are only async-disposable, which xunit's synchronous Dispose of a test class cannot handle).
/// </summary>
public abstract class ComponentTest : IAsyncLifetime
{
    protected BunitContext Context { get; } = new();

    protected TestDatabase Database { get; } = TestDatabase.Create();

    /// <summary>Sets the context up through <see cref="PortalTestContext.UsePortalAsync"/> for a user with these roles.</summary>
    protected Task SignedInAsAsync(string userName, params string[] roles) => Context.UsePortalAsync(Database, userName, roles);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Context.DisposeAsync();
        Database.Dispose();
    }
}
