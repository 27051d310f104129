using HaloPortal.Tests.Infrastructure;
using HaloPortal.Tests.Sandbox;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace HaloPortal.Sandbox.Tests;

/// <summary>The sandbox calls only loopback, the portal itself and Sandbox:AllowedCallbackHosts.</summary>
public sealed class SandboxCallbackTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    [Theory]
    [InlineData("https://internal.example.net/api/graph/notifications")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    public async Task A_subscription_to_a_host_outside_the_allowed_ones_is_refused_with_Graphs_error(string notificationUrl)
    {
        var tenant = await app.CreateTenantAsync();

        var ex = await Assert.ThrowsAsync<ODataError>(() => app.AppGraph(tenant).Subscriptions.PostAsync(new Subscription
        {
            ChangeType = "created",
            NotificationUrl = notificationUrl,
            Resource = $"/users/{tenant.User}/mailFolders/inbox/messages",
            ExpirationDateTime = DateTimeOffset.UtcNow.AddDays(1),
            ClientState = "state",
        }));

        Assert.Equal(400, ex.ResponseStatusCode);
        Assert.Equal("InvalidRequest", ex.Error!.Code);
        Assert.Contains("Sandbox:AllowedCallbackHosts", ex.Error.Message);
    }

    [Fact]
    public async Task A_subscription_to_a_loopback_receiver_is_still_validated()
    {
        var tenant = await app.CreateTenantAsync();
        await using var receiver = await WebhookReceiver.StartAsync();

        var created = await app.AppGraph(tenant).Subscriptions.PostAsync(new Subscription
        {
            ChangeType = "created",
            NotificationUrl = receiver.NotifyUrl,
            Resource = $"/users/{tenant.User}/mailFolders/inbox/messages",
            ExpirationDateTime = DateTimeOffset.UtcNow.AddDays(1),
            ClientState = "state",
        });

        Assert.NotNull(created?.Id);
        Assert.Equal(1, receiver.Validations);
    }
}
