namespace HaloPortal.Engine.Credentials;

/// <summary>
/// Told after a credential's status was recorded (by a connection test, a scan, the start-up check). The publisher owns this
/// interface; whoever reacts (the problems and agents' notifications) implements it, so credentials depend on no observer.
/// Implementations never throw into the caller.
/// </summary>
internal interface ICredentialStatusObserver
{
    Task CredentialStatusChangedAsync(int credentialId, CancellationToken cancellationToken);
}
