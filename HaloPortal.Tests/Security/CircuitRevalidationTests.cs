using System.Security.Claims;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;
using HaloPortal.Hosting;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Security;

/// <summary>An open Blazor circuit re-checks its account against the database every minute.</summary>
public sealed class CircuitRevalidationTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private const string Password = "correct1horse";

    private IAgents Agents => app.Services.GetRequiredService<IAgents>();

    [Fact]
    public void Circuits_use_the_revalidating_provider_every_minute()
    {
        using var scope = app.Services.CreateScope();

        Assert.IsType<PortalAuthenticationStateProvider>(scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>());
        Assert.Equal(TimeSpan.FromMinutes(1), PortalAuthenticationStateProvider.Interval);
    }

    [Fact]
    public async Task An_unchanged_account_keeps_its_circuit()
    {
        var (id, principal) = await SignedInAsync(PortalRoles.Administrator);

        Assert.True(await RevalidateAsync(principal));
        Assert.NotNull(await Agents.GetAsync(id));
    }

    [Fact]
    public async Task Disabling_an_agent_signs_their_circuit_out()
    {
        var (id, principal) = await SignedInAsync(PortalRoles.Agent);

        await Agents.SetDisabledAsync(id, true, Actor.System);

        Assert.False(await RevalidateAsync(principal));
    }

    [Fact]
    public async Task Demoting_an_administrator_signs_their_circuit_out()
    {
        await SignedInAsync(PortalRoles.Administrator); // someone stays in charge
        var (id, principal) = await SignedInAsync(PortalRoles.Administrator);

        await Agents.UpdateAsync(id, new AgentUpdate("Demoted", [PortalRoles.Agent]), Actor.System);

        Assert.False(await RevalidateAsync(principal));
    }

    [Fact]
    public async Task Resetting_the_password_signs_the_circuit_out()
    {
        var (id, principal) = await SignedInAsync(PortalRoles.Agent);

        await Agents.ResetPasswordAsync(id, "another1horse", Actor.System);

        Assert.False(await RevalidateAsync(principal));
    }

    [Fact]
    public async Task Roles_changed_without_a_new_stamp_replace_the_circuits_roles()
    {
        var (id, principal) = await SignedInAsync(PortalRoles.Administrator);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            // As a Microsoft sign-in elsewhere syncs app roles: the stamp stays, the roles change.
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var user = (await users.FindByIdAsync(id))!;
            await users.RemoveFromRoleAsync(user, PortalRoles.Administrator);
            await users.AddToRoleAsync(user, PortalRoles.Support);
        }

        await using var circuit = app.Services.CreateAsyncScope();
        var provider = (PortalAuthenticationStateProvider)circuit.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
        provider.SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));

        Assert.True(await provider.RevalidateAsync(new AuthenticationState(principal), CancellationToken.None));
        var now = (await provider.GetAuthenticationStateAsync()).User;
        Assert.True(now.IsInRole(PortalRoles.Support));
        Assert.False(now.IsInRole(PortalRoles.Administrator));
    }

    [Fact]
    public async Task Changing_an_agents_roles_renews_the_security_stamp_but_renaming_does_not()
    {
        var (id, _) = await SignedInAsync(PortalRoles.Agent);
        var before = await StampAsync(id);

        await Agents.UpdateAsync(id, new AgentUpdate("Renamed", [PortalRoles.Agent]), Actor.System);
        Assert.Equal(before, await StampAsync(id));

        await Agents.UpdateAsync(id, new AgentUpdate("Renamed", [PortalRoles.Agent, PortalRoles.Support]), Actor.System);
        Assert.NotEqual(before, await StampAsync(id));
    }

    private async Task<bool> RevalidateAsync(ClaimsPrincipal principal)
    {
        await using var circuit = app.Services.CreateAsyncScope();
        var provider = (PortalAuthenticationStateProvider)circuit.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
        return await provider.RevalidateAsync(new AuthenticationState(principal), CancellationToken.None);
    }

    /// <summary>A new agent and the principal a sign-in gives them (what a circuit starts with).</summary>
    private async Task<(string Id, ClaimsPrincipal Principal)> SignedInAsync(string role)
    {
        var agent = await Agents.CreateAsync(new NewAgent("Circuit " + role, $"circuit-{Guid.NewGuid():N}@example.com", Password, [role]), Actor.System);
        await using var scope = app.Services.CreateAsyncScope();
        var factory = scope.ServiceProvider.GetRequiredService<IUserClaimsPrincipalFactory<PortalUser>>();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByIdAsync(agent.Id);
        return (agent.Id, await factory.CreateAsync(user!));
    }

    private async Task<string?> StampAsync(string id)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByIdAsync(id))!.SecurityStamp;
    }
}
