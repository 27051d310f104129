using HaloPortal.Engine.Accounts;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Portal;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Accounts;

public sealed class ExternalAccountsTests : IAsyncLifetime
{
    private const string ObjectId = "6f1c2f1e-1b6a-4a55-9a0e-3f2b8c7d9e10";
    private readonly TestDatabase _database = TestDatabase.Create();
    private ServiceProvider _services = default!;
    private IExternalAccounts _external = default!;
    private IAgents _agents = default!;

    public async Task InitializeAsync()
    {
        _services = await TestEngine.StartAsync(_database);
        _external = _services.GetRequiredService<IExternalAccounts>();
        _agents = _services.GetRequiredService<IAgents>();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task First_sign_in_creates_an_agent_with_the_mapped_roles()
    {
        var result = await _external.ResolveAsync(new ExternalAccount(ObjectId, "megan@contoso.com", "Megan Bowen", ["HaloPortal.Support", "Agent"]));

        Assert.True(result.Succeeded);
        var agent = await _agents.GetAsync(result.UserId!);
        Assert.Equal("Megan Bowen", agent!.DisplayName);
        Assert.Equal("megan@contoso.com", agent.Email);
        Assert.Equal(["Agent", "Support"], agent.Roles);
        Assert.True(agent.SignsInWithMicrosoft);
        var audit = Assert.Single((await _services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(EntityType: "Agent"))).Items);
        Assert.Equal("Agent.CreatedFromMicrosoft", audit.Action);
        Assert.Equal(ActorKind.System, audit.ActorKind);
    }

    [Fact]
    public async Task Later_sign_ins_find_the_agent_by_object_id_and_sync_roles()
    {
        var first = await _external.ResolveAsync(new ExternalAccount(ObjectId, "megan@contoso.com", "Megan", ["Agent"]));

        // The address changed in Entra ID; the object id still identifies the person.
        var again = await _external.ResolveAsync(new ExternalAccount(ObjectId, "megan.bowen@contoso.com", "Megan", ["administrator"]));

        Assert.Equal(first.UserId, again.UserId);
        Assert.Equal(["Administrator"], (await _agents.GetAsync(again.UserId!))!.Roles);
        Assert.Equal(1, (await _agents.ListAsync(new AgentQuery())).Total);
        Assert.Contains((await _services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery("Agent.SyncedFromMicrosoft"))).Items, e => e.EntityId == first.UserId);
    }

    [Fact]
    public async Task A_local_agent_is_never_linked_by_email_and_keeps_its_password_sign_in()
    {
        var local = await _agents.CreateAsync(new NewAgent("Megan", "megan@contoso.com", "analytical1engine", [PortalRoles.Agent]), Actor.System);

        var result = await _external.ResolveAsync(new ExternalAccount(ObjectId, "MEGAN@contoso.com", "Megan", ["Agent"]));

        Assert.Equal(ExternalSignInFailure.LocalAccountNotLinked, result.Failure);
        Assert.False((await _agents.GetAsync(local.Id))!.SignsInWithMicrosoft);
        Assert.Equal(1, (await _agents.ListAsync(new AgentQuery())).Total);
    }

    [Fact]
    public async Task Refusals_say_why()
    {
        var disabled = await _external.ResolveAsync(new ExternalAccount(ObjectId, "dis@contoso.com", "Dis", ["Agent"]));
        await _agents.SetDisabledAsync(disabled.UserId!, true, Actor.System);
        await _external.ResolveAsync(new ExternalAccount("other-oid", "taken@contoso.com", "Taken", ["Agent"]));

        Assert.Equal(ExternalSignInFailure.NoRole, (await _external.ResolveAsync(new ExternalAccount("new-oid", "new@contoso.com", "New", ["Reader"]))).Failure);
        Assert.Equal(ExternalSignInFailure.Disabled, (await _external.ResolveAsync(new ExternalAccount(ObjectId, "dis@contoso.com", "Dis", ["Agent"]))).Failure);
        Assert.Equal(ExternalSignInFailure.MissingIdentity, (await _external.ResolveAsync(new ExternalAccount(null, "new@contoso.com", "New", ["Agent"]))).Failure);
        Assert.Equal(ExternalSignInFailure.MissingIdentity, (await _external.ResolveAsync(new ExternalAccount(ObjectId, null, "New", ["Agent"]))).Failure);
        Assert.Equal(ExternalSignInFailure.LinkedToAnotherAccount, (await _external.ResolveAsync(new ExternalAccount("third-oid", "taken@contoso.com", "T", ["Agent"]))).Failure);
        Assert.Equal(0, (await _agents.ListAsync(new AgentQuery("new@contoso.com"))).Total);
    }
}
