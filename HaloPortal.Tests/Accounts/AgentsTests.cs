using System.Text.Json;
using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HaloPortal.Tests.Accounts;

public sealed class AgentsTests : IAsyncLifetime
{
    private static readonly Actor Admin = Actor.User("admin@example.com");
    private readonly TestDatabase _database = TestDatabase.Create();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    private ServiceProvider _services = default!;
    private IAgents _agents = default!;

    public async Task InitializeAsync()
    {
        _services = await TestEngine.StartAsync(_database, s => s.AddSingleton<TimeProvider>(_time));
        _agents = _services.GetRequiredService<IAgents>();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task Created_agent_is_listed_with_roles_status_and_creation_time()
    {
        var created = await _agents.CreateAsync(new NewAgent(" Ada Lovelace ", "ada@example.com", "analytical1engine", [PortalRoles.Support, PortalRoles.Agent]), Admin);

        var listed = Assert.Single((await _agents.ListAsync(new AgentQuery())).Items);
        Assert.Equal(created, listed);
        Assert.Equal("Ada Lovelace", listed.DisplayName);
        Assert.Equal(["Agent", "Support"], listed.Roles);
        Assert.Equal(AgentStatus.Active, listed.Status);
        Assert.Equal(_time.GetUtcNow(), listed.CreatedAt);
        Assert.False(listed.SignsInWithMicrosoft);
    }

    [Fact]
    public async Task Creation_is_audited_without_password_material()
    {
        var created = await _agents.CreateAsync(new NewAgent("Ada", "ada@example.com", "analytical1engine", [PortalRoles.Agent]), Admin);

        var entry = Assert.Single((await _services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(EntityType: "Agent"))).Items);
        Assert.Equal("Agent.Created", entry.Action);
        Assert.Equal(created.Id, entry.EntityId);
        Assert.Equal("admin@example.com", entry.Actor);
        Assert.Null(entry.Before);
        using var after = JsonDocument.Parse(entry.After!);
        Assert.Equal("ada@example.com", after.RootElement.GetProperty("email").GetString());
        Assert.Equal("Agent", after.RootElement.GetProperty("roles")[0].GetString());
        Assert.DoesNotContain("analytical1engine", entry.After);
        Assert.DoesNotContain("hash", entry.After, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("stamp", entry.After, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("", "ada@example.com", "analytical1engine", "Agent", "displayName", "Enter the agent's name")]
    [InlineData("Ada", "", "analytical1engine", "Agent", "email", "Enter the agent's email address")]
    [InlineData("Ada", "not-an-address", "analytical1engine", "Agent", "email", "Enter an address like name@example.com")]
    [InlineData("Ada", "ada@example.com", "short1", "Agent", "password", "Choose a stronger password")]
    [InlineData("Ada", "ada@example.com", "nodigitsatallhere", "Agent", "password", "Choose a stronger password")]
    [InlineData("Ada", "ada@example.com", "", "Agent", "password", "Enter an initial password")]
    [InlineData("Ada", "ada@example.com", "analytical1engine", "Janitor", "roles", "'Janitor' is not a role. Choose from Administrator, Agent, Support.")]
    [InlineData("Ada", "ada@example.com", "analytical1engine", "", "roles", "Choose at least one role")]
    public async Task Bad_input_is_refused_naming_the_field_and_the_fix(string name, string email, string password, string role, string field, string message)
    {
        var roles = role.Length == 0 ? Array.Empty<string>() : [role];

        var refusal = await Assert.ThrowsAnyAsync<ArgumentException>(() => _agents.CreateAsync(new NewAgent(name, email, password, roles), Admin));

        Assert.Equal(field, refusal.ParamName);
        Assert.Contains(message, refusal.Message);
        Assert.Equal(0, (await _agents.ListAsync(new AgentQuery())).Total);
    }

    [Fact]
    public async Task Duplicate_email_is_refused_whatever_its_case()
    {
        await _agents.CreateAsync(new NewAgent("Ada", "ada@example.com", "analytical1engine", [PortalRoles.Agent]), Admin);

        var refusal = await Assert.ThrowsAsync<ArgumentException>(() =>
            _agents.CreateAsync(new NewAgent("Ada again", "ADA@example.com", "analytical1engine", [PortalRoles.Agent]), Admin));

        Assert.Equal("email", refusal.ParamName);
        Assert.Contains("already exists", refusal.Message);
        Assert.Equal(1, (await _agents.ListAsync(new AgentQuery())).Total);
    }

    [Fact]
    public async Task Search_matches_name_or_email_case_insensitively_and_pages()
    {
        for (var i = 1; i <= 5; i++)
        {
            await _agents.CreateAsync(new NewAgent($"Agent {i}", $"agent{i}@contoso.com", "analytical1engine", [PortalRoles.Agent]), Admin);
        }

        await _agents.CreateAsync(new NewAgent("Grace Hopper", "grace@navy.mil", "analytical1engine", [PortalRoles.Agent]), Admin);

        Assert.Equal("Grace Hopper", Assert.Single((await _agents.ListAsync(new AgentQuery("HOPPER"))).Items).DisplayName);
        Assert.Equal("Grace Hopper", Assert.Single((await _agents.ListAsync(new AgentQuery("navy.MIL"))).Items).DisplayName);
        var second = await _agents.ListAsync(new AgentQuery("contoso", Page: 2, PageSize: 2));
        Assert.Equal(5, second.Total);
        Assert.Equal(["Agent 3", "Agent 4"], second.Items.Select(a => a.DisplayName));
    }

    [Fact]
    public async Task Update_changes_name_and_roles_and_audits_before_and_after()
    {
        var agent = await _agents.CreateAsync(new NewAgent("Ada", "ada@example.com", "analytical1engine", [PortalRoles.Agent]), Admin);

        var updated = await _agents.UpdateAsync(agent.Id, new AgentUpdate("Ada King", [PortalRoles.Support]), Admin);

        Assert.Equal("Ada King", updated!.DisplayName);
        Assert.Equal(["Support"], updated.Roles);
        Assert.Equal(updated, await _agents.GetAsync(agent.Id));
        var entry = (await _services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery("Agent.Updated"))).Items.Single();
        Assert.Contains("\"displayName\":\"Ada\"", entry.Before);
        Assert.Contains("\"roles\":[\"Agent\"]", entry.Before);
        Assert.Contains("\"displayName\":\"Ada King\"", entry.After);
        Assert.Contains("\"roles\":[\"Support\"]", entry.After);
    }

    [Fact]
    public async Task Unknown_agent_updates_return_null()
    {
        Assert.Null(await _agents.UpdateAsync("missing", new AgentUpdate("X", [PortalRoles.Agent]), Admin));
        Assert.Null(await _agents.SetDisabledAsync("missing", true, Admin));
        Assert.False(await _agents.ResetPasswordAsync("missing", "analytical1engine", Admin));
        Assert.Null(await _agents.GetAsync("missing"));
    }

    [Fact]
    public async Task The_last_enabled_administrator_cannot_be_disabled_or_demoted()
    {
        var only = await _agents.CreateAsync(new NewAgent("Root", "root@example.com", "analytical1engine", [PortalRoles.Administrator]), Admin);

        var demote = await Assert.ThrowsAsync<ArgumentException>(() => _agents.UpdateAsync(only.Id, new AgentUpdate("Root", [PortalRoles.Agent]), Admin));
        var disable = await Assert.ThrowsAsync<ArgumentException>(() => _agents.SetDisabledAsync(only.Id, true, Admin));

        Assert.Equal("roles", demote.ParamName);
        Assert.Contains("last enabled administrator", demote.Message);
        Assert.Contains("Make another agent an administrator first", demote.Message);
        Assert.Equal("disabled", disable.ParamName);
        Assert.Contains("last enabled administrator", disable.Message);
        Assert.Equal(AgentStatus.Active, (await _agents.GetAsync(only.Id))!.Status);

        var second = await _agents.CreateAsync(new NewAgent("Deputy", "deputy@example.com", "analytical1engine", [PortalRoles.Administrator]), Admin);
        Assert.Equal(AgentStatus.Disabled, (await _agents.SetDisabledAsync(only.Id, true, Admin))!.Status);
        await Assert.ThrowsAsync<ArgumentException>(() => _agents.UpdateAsync(second.Id, new AgentUpdate("Deputy", [PortalRoles.Agent]), Admin));
    }

    [Fact]
    public async Task Disabling_changes_the_security_stamp_and_enabling_lifts_a_lockout()
    {
        var agent = await _agents.CreateAsync(new NewAgent("Ada", "ada@example.com", "analytical1engine", [PortalRoles.Agent]), Admin);
        var stampBefore = await StampAsync(agent.Id);

        var disabled = await _agents.SetDisabledAsync(agent.Id, true, Admin);

        Assert.Equal(AgentStatus.Disabled, disabled!.Status);
        Assert.NotEqual(stampBefore, await StampAsync(agent.Id));

        await using (var scope = _services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var user = await users.FindByIdAsync(agent.Id);
            await users.SetLockoutEndDateAsync(user!, _time.GetUtcNow().AddMinutes(15));
        }

        var enabled = await _agents.SetDisabledAsync(agent.Id, false, Admin);
        Assert.Equal(AgentStatus.Active, enabled!.Status);
        var actions = (await _services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(EntityType: "Agent"))).Items.Select(e => e.Action);
        Assert.Equal(["Agent.Enabled", "Agent.Disabled", "Agent.Created"], actions);
    }

    [Fact]
    public async Task Locked_out_status_follows_the_lockout_end()
    {
        var agent = await _agents.CreateAsync(new NewAgent("Ada", "ada@example.com", "analytical1engine", [PortalRoles.Agent]), Admin);
        await using (var scope = _services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            await users.SetLockoutEndDateAsync((await users.FindByIdAsync(agent.Id))!, _time.GetUtcNow().AddMinutes(15));
        }

        Assert.Equal(AgentStatus.LockedOut, (await _agents.GetAsync(agent.Id))!.Status);
        _time.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal(AgentStatus.Active, (await _agents.GetAsync(agent.Id))!.Status);
    }

    [Fact]
    public async Task Reset_password_replaces_the_password_and_refuses_weak_ones()
    {
        var agent = await _agents.CreateAsync(new NewAgent("Ada", "ada@example.com", "analytical1engine", [PortalRoles.Agent]), Admin);

        var weak = await Assert.ThrowsAsync<ArgumentException>(() => _agents.ResetPasswordAsync(agent.Id, "weak", Admin));
        Assert.Equal("password", weak.ParamName);
        Assert.True(await _agents.ResetPasswordAsync(agent.Id, "difference2engine", Admin));

        await using var scope = _services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.FindByIdAsync(agent.Id);
        Assert.True(await users.CheckPasswordAsync(user!, "difference2engine"));
        Assert.False(await users.CheckPasswordAsync(user!, "analytical1engine"));
        var entry = (await _services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery("Agent.PasswordReset"))).Items.Single();
        Assert.DoesNotContain("difference2engine", entry.After);
        Assert.Contains("\"passwordReset\":true", entry.After);
    }

    private async Task<string?> StampAsync(string id)
    {
        await using var scope = _services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        return (await users.FindByIdAsync(id))!.SecurityStamp;
    }
}
