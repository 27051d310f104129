namespace HaloPortal.Engine.Credentials;

/// <summary>
/// The mailboxes credentials belong to, as the credentials feature needs them: a mailbox's name by its id, and word that a mailbox's
/// credentials changed. The publisher owns this interface and the mailboxes feature implements it, so credentials know a mailbox
/// by its id alone (the mailbox shows its credentials; a credential never reads the mailbox's entity or service).
/// </summary>
internal interface ICredentialOwners
{
    /// <summary>The name of mailbox <paramref name="mailboxId"/>, or null when there is no such mailbox.</summary>
    Task<string?> NameOfAsync(int mailboxId, CancellationToken cancellationToken);

    /// <summary>Told after a credential of mailbox <paramref name="mailboxId"/> was created, changed or deleted, so open screens refresh.</summary>
    void CredentialsChanged(int mailboxId);
}
