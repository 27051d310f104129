using Hangfire;
using Hangfire.Storage;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Tests.Credentials;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Ingestion;

/// <summary>One recurring scan job per connected credential of this instance: added when one names its mailbox, removed when it goes.</summary>
public sealed class ScanJobRegistrationTests(PortalAppFactory app) : IClassFixture<PortalAppFactory>
{
    private bool HasJob(int credentialId) =>
        app.Services.GetRequiredService<JobStorage>().GetConnection().GetRecurringJobs().Any(j => j.Id == $"scan-credential-{credentialId}");

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The recurring jobs did not follow the credentials in time.");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_credential_gets_its_scan_job_when_it_names_a_mailbox_and_loses_it_when_deleted()
    {
        var demo = new SandboxMail(app).Demo;
        var credentials = app.Get<ICredentials>();
        var credential = await credentials.CreateAsync(await app.CreateMailboxAsync(),
            CredentialKit.ClientCredentials(demo.TenantId, demo.AppId, demo.UserPrincipalName, demo.ClientSecret), Actor.System);

        // Client credentials name their mailbox, so there is something to scan from the start (a delegated credential waits for its sign-in).
        await WaitUntilAsync(() => HasJob(credential.Id));

        Assert.True(await credentials.DeleteAsync(credential.Id, Actor.System));
        await WaitUntilAsync(() => !HasJob(credential.Id));
    }
}
