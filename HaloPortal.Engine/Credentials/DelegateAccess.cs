using HaloPortal.Engine.Errors;

namespace HaloPortal.Engine.Credentials;

/// <summary>Explains Graph's access errors for a delegate reading a shared mailbox, whose cause is the delegation, not the app.</summary>
internal static class DelegateAccess
{
    /// <summary>For an authorisation-code credential on a shared mailbox, a permission error means the signed-in account lacks Full Access.</summary>
    public static KnownError Explain(MailboxCredential credential, KnownError error) =>
        credential.AuthMethod == AuthMethod.AuthorizationCode && !string.IsNullOrWhiteSpace(credential.SharedMailbox) && error.Kind == ErrorKind.Permission
            ? KnownErrors.Find("SharedMailboxNotDelegated")! with
            {
                Message = $"The signed-in account cannot open the shared mailbox {credential.SharedMailbox} ({error.Title}). Nothing was read.",
            }
            : error;
}
