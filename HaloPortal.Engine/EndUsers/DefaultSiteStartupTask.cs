using HaloPortal.Engine.Data;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Engine.EndUsers;

/// <summary>Makes sure a default site for new users exists, so requesters can always be placed.</summary>
internal sealed class DefaultSiteStartupTask(IDbContextFactory<PortalDbContext> contexts, TimeProvider time) : IStartupTask
{
    public int Order => 5;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await Requesters.DefaultSiteIdAsync(db, time.GetUtcNow(), cancellationToken);
    }
}
