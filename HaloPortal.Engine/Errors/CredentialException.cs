namespace HaloPortal.Engine.Errors;

/// <summary>A credential or mailbox failure the product recognises, carrying its catalogued message and fix.</summary>
public sealed class CredentialException(KnownError error, Exception? inner = null) : Exception(error.Message, inner)
{
    public KnownError Error { get; } = error;

    /// <summary>Graph's Retry-After, when the failure was throttling.</summary>
    public TimeSpan? RetryAfter { get; init; }
}
