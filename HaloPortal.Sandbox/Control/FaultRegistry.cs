using HaloPortal.Sandbox.Data;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Sandbox.Control;

/// <summary>The injected faults. Kept in the database; a flag spares the lookup while none are set (the usual case).</summary>
internal sealed class FaultRegistry(IDbContextFactory<SandboxDbContext> contexts)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool? _any;

    /// <summary>Consumes one use of the first fault of the given kinds that applies to the mailbox (or to every mailbox).</summary>
    public async Task<SbFault?> TakeAsync(string? mailbox, IReadOnlyCollection<SandboxFaultKind> kinds, CancellationToken ct)
    {
        if (_any == false)
        {
            return null;
        }

        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            var faults = await db.Faults.Where(f => kinds.Contains(f.Kind)).OrderBy(f => f.CreatedAt).ToListAsync(ct);
            _any ??= await db.Faults.AnyAsync(ct);
            var fault = faults.FirstOrDefault(f => f.Mailbox is null || string.Equals(f.Mailbox, mailbox, StringComparison.OrdinalIgnoreCase));
            if (fault is null)
            {
                return null;
            }

            if (fault.Remaining is { } remaining)
            {
                if (remaining <= 1)
                {
                    db.Faults.Remove(fault);
                }
                else
                {
                    fault.Remaining = remaining - 1;
                }

                await db.SaveChangesAsync(ct);
            }

            return fault;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Changed() => _any = null;
}
