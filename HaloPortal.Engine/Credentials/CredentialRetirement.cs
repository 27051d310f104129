using HaloPortal.Engine.Audit;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Engine.Credentials;

/// <summary>
/// Told just before a credential stops receiving mail the way it did — switched away from webhooks, connected to another app
/// or mailbox, moved to another instance, disconnected or deleted — while it can still reach Graph, so what it registered
/// there (a change-notification subscription) is removed instead of left to deliver to nobody.
/// </summary>
internal interface ICredentialRetirement
{
    /// <summary>Never throws for Graph failures: what cannot be removed at Graph is retired here and lapses there.</summary>
    Task RetiringAsync(int credentialId, string reason, Actor actor, CancellationToken cancellationToken);
}

/// <summary>
/// Tells every <see cref="ICredentialRetirement"/>. They are resolved when a credential retires, not when this is built:
/// what they depend on (Graph clients, mailboxes) depends in turn on the services that retire credentials.
/// </summary>
internal sealed class CredentialRetirements(IServiceProvider services)
{
    public async Task RetiringAsync(int credentialId, string reason, Actor actor, CancellationToken cancellationToken)
    {
        foreach (var retirement in services.GetServices<ICredentialRetirement>())
        {
            await retirement.RetiringAsync(credentialId, reason, actor, cancellationToken);
        }
    }
}
