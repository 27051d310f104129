namespace HaloPortal.Engine.Portal;

/// <summary>
/// The portal's own addresses that the engine writes into subscriptions, notifications, ticket bodies and emails. The web host
/// maps its endpoints from the same constants (Razor <c>@page</c> routes must be literals: those pages name this class), so an
/// address changes in one place.
/// </summary>
public static class PortalRoutes
{
    /// <summary>Where Graph posts change notifications.</summary>
    public const string GraphNotifications = "/api/graph/notifications";

    /// <summary>Where Graph posts lifecycle notifications.</summary>
    public const string GraphLifecycle = "/api/graph/lifecycle";

    /// <summary>An invited agent's account set-up page.</summary>
    public const string AccountSetup = "/account/setup";

    /// <summary>An attachment (or inline image) of a ticket message.</summary>
    public static string Attachment(long id) => $"/attachments/{id}";

    /// <summary>A tab of a mailbox's page (<c>credentials</c>, <c>incoming</c>, <c>inbound-log</c>, <c>contact-imports</c>...), optionally on one credential.</summary>
    public static string MailboxTab(int mailboxId, string tab, int? credentialId = null) =>
        $"/configuration/email/mailboxes/{mailboxId}?tab={tab}" + (credentialId is { } id ? $"&credential={id}" : "");
}
