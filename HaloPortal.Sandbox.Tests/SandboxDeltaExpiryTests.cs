using System.Net;
using System.Net.Http.Json;
using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Sandbox;
using Microsoft.Graph.Models.ODataErrors;

namespace HaloPortal.Sandbox.Tests;

/// <summary>The ExpireDeltaTokens fault: a saved delta link answers 410 SyncStateNotFound like real Graph, a fresh delta still works.</summary>
public sealed class SandboxDeltaExpiryTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    [Fact]
    public async Task An_expired_delta_link_answers_410_SyncStateNotFound_once_and_a_new_delta_round_works()
    {
        var tenant = await app.CreateTenantAsync();
        await app.DeliverAsync(tenant.User, SandboxKit.Mime("x@external.test", tenant.User, "Before the expiry"));
        var graph = app.AppGraph(tenant);
        var delta = graph.Users[tenant.User].MailFolders["inbox"].Messages.Delta;
        var round = await delta.GetAsDeltaGetResponseAsync();
        var deltaLink = round!.OdataDeltaLink!;
        var nextLink = (await delta.GetAsDeltaGetResponseAsync())!.OdataDeltaLink!;

        using var api = app.CreateApiClient();
        var added = await api.PostAsJsonAsync("/sandbox/api/faults", new { mailbox = tenant.User, kind = "ExpireDeltaTokens" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        // A delta query without a token is not a delta link: it is served and leaves the fault waiting.
        var full = await delta.GetAsDeltaGetResponseAsync();
        Assert.Single(full!.Value!);

        var gone = await Assert.ThrowsAsync<ODataError>(() => delta.WithUrl(deltaLink).GetAsDeltaGetResponseAsync());
        Assert.Equal(410, gone.ResponseStatusCode);
        Assert.Equal("SyncStateNotFound", gone.Error!.Code);
        Assert.False(string.IsNullOrWhiteSpace(gone.Error.Message));

        // The expiry is one event: the next delta link (another one saved before it) works again, as does a new round.
        var after = await delta.WithUrl(nextLink).GetAsDeltaGetResponseAsync();
        Assert.NotNull(after!.OdataDeltaLink);
        Assert.Empty(await app.Control().ListFaultsAsync());
    }

    [Fact]
    public async Task A_counted_expiry_refuses_that_many_delta_links_for_its_mailbox_only()
    {
        var tenant = await app.CreateTenantAsync();
        var other = await app.CreateTenantAsync();
        var graph = app.AppGraph(tenant);
        var otherGraph = app.AppGraph(other);
        var link = (await graph.Users[tenant.User].MailFolders["inbox"].Messages.Delta.GetAsDeltaGetResponseAsync())!.OdataDeltaLink!;
        var otherLink = (await otherGraph.Users[other.User].MailFolders["inbox"].Messages.Delta.GetAsDeltaGetResponseAsync())!.OdataDeltaLink!;
        await app.Control().AddFaultAsync(new SandboxFaultRequest(tenant.User, SandboxFaultKind.ExpireDeltaTokens, Count: 2));

        Assert.NotNull((await otherGraph.Users[other.User].MailFolders["inbox"].Messages.Delta.WithUrl(otherLink).GetAsDeltaGetResponseAsync())!.OdataDeltaLink);
        var delta = graph.Users[tenant.User].MailFolders["inbox"].Messages.Delta;
        Assert.Equal(410, (await Assert.ThrowsAsync<ODataError>(() => delta.WithUrl(link).GetAsDeltaGetResponseAsync())).ResponseStatusCode);
        Assert.Equal(410, (await Assert.ThrowsAsync<ODataError>(() => delta.WithUrl(link).GetAsDeltaGetResponseAsync())).ResponseStatusCode);
        Assert.NotNull((await delta.WithUrl(link).GetAsDeltaGetResponseAsync())!.OdataDeltaLink);
    }
}
