using System.Net;
using ICredentials = HaloPortal.Engine.Credentials.ICredentials;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Notifications;
using HaloPortal.Sandbox;
using HaloPortal.Tests.Credentials;
using HaloPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Security;

/// <summary>A secret, certificate or token cache that cannot be decrypted never stops the portal.</summary>
public sealed class UnreadableSecretsTests
{
    [SqliteOnlyFact("replaces the portal's database by deleting its SQLite file")]
    public async Task A_new_portal_database_beside_the_old_sandbox_starts_and_the_sandbox_regenerates_what_it_encrypted()
    {
        var data = SecurityKit.NewDataDirectory();
        try
        {
            await SecurityKit.WithPortalAsync(data, _ => { }, async app => Assert.NotNull(await app.Services.GetRequiredService<ISandboxDemo>().GetAsync()));
            foreach (var file in Directory.GetFiles(data, "portal.db*"))
            {
                File.Delete(file);
            }

            await SecurityKit.WithPortalAsync(data, _ => { }, async app =>
            {
                using var health = await app.CreateApiClient().GetAsync("/health");
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
                Assert.NotNull(await app.Services.GetRequiredService<ISandboxDemo>().GetAsync());

                // The re-seeded demo credential works: the sandbox's new demo secret and its new signing key are in use.
                var result = await app.Get<ICredentialConnections>().TestAsync(await app.DemoCredentialIdAsync());
                Assert.True(result.Ok, result.Error?.Message);
            });
        }
        finally
        {
            SecurityKit.Delete(data);
        }
    }

    [Fact]
    public async Task A_secret_that_can_no_longer_be_decrypted_shows_enter_it_again_and_is_notified_once()
    {
        var data = SecurityKit.NewDataDirectory();
        try
        {
            var credentialId = 0;
            await SecurityKit.WithPortalAsync(data, _ => { }, async app => credentialId = await app.DemoCredentialIdAsync());

            // The key-encryption certificate is lost: the portal starts with a new one, so the stored keys cannot be decrypted.
            for (var start = 0; start < 2; start++)
            {
                await SecurityKit.WithPortalAsync(data, app => app.Settings["Portal:DataProtection:KeyDirectory"] = data + "-new-keys", async app =>
                {
                    using var health = await app.CreateApiClient().GetAsync("/health");
                    Assert.Equal(HttpStatusCode.OK, health.StatusCode);

                    var view = (await app.Get<ICredentials>().GetAsync(credentialId))!;
                    Assert.Equal(KnownErrors.SecretUnreadable, view.LastError?.Code);
                    Assert.StartsWith("Secret can no longer be read — enter it again", view.LastError!.Message);
                    Assert.Equal(CredentialStatus.Failing, view.Status);

                    await using var db = await app.Get<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
                    var problem = await db.Set<Problem>().AsNoTracking().SingleAsync(p => p.Key == ProblemKeys.Credential(credentialId)); // one, also after a second start
                    Assert.Null(problem.ResolvedAt);
                    Assert.Contains("Secret can no longer be read", problem.Message);
                });
            }
        }
        finally
        {
            SecurityKit.Delete(data);
        }
    }
}
