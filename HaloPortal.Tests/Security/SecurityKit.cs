using System.Net;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Sandbox.Demo;
using HaloPortal.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaloPortal.Tests.Security;

/// <summary>Helpers for the security tests: portals restarted on one data folder, the demo credential, captured logs.</summary>
internal static class SecurityKit
{
    /// <summary>A temporary data folder the caller restarts portals on; <see cref="Delete"/> removes it and its key folders.</summary>
    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "haloportal-tests", "security-" + Guid.NewGuid().ToString("N"));

    public static void Delete(string dataDirectory)
    {
        SqliteConnection.ClearAllPools();
        TestProvider.Drop(dataDirectory);
        foreach (var folder in Directory.GetDirectories(Path.GetDirectoryName(dataDirectory)!, Path.GetFileName(dataDirectory) + "*"))
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open is left for the OS temp cleaner.
            }
        }
    }

    /// <summary>Starts a portal on <paramref name="dataDirectory"/>, runs <paramref name="use"/>, and stops it.</summary>
    public static async Task WithPortalAsync(string dataDirectory, Action<PortalAppFactory> configure, Func<PortalAppFactory, Task> use)
    {
        var app = new PortalAppFactory(dataDirectory);
        try
        {
            configure(app);
            _ = app.BaseAddress;
            await use(app);
        }
        finally
        {
            await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
        }
    }

    /// <summary>The demo mailbox's credential ("Support (sandbox)"), seeded on first start.</summary>
    public static async Task<int> DemoCredentialIdAsync(this PortalAppFactory app)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await (from c in db.Set<MailboxCredential>()
                      join m in db.Set<Mailbox>() on c.MailboxId equals m.Id
                      where m.Name == DemoMailboxSeeder.DemoMailboxName
                      select c.Id).SingleAsync();
    }

    /// <summary>The Set-Cookie header of the named cookie, or null.</summary>
    public static string? SetCookie(HttpResponseMessage response, string namePrefix) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.FirstOrDefault(v => v.StartsWith(namePrefix, StringComparison.Ordinal)) : null;

    public static HttpStatusCode Status(this HttpResponseMessage response) => response.StatusCode;
}
