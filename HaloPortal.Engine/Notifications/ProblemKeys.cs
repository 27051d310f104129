using System.Globalization;

namespace HaloPortal.Engine.Notifications;

/// <summary>
/// The problem keys in use. A key names one thing that can be broken; <see cref="INotifications.RaiseAsync"/> with the same
/// key while it is open only counts, and <see cref="INotifications.ResolveAsync"/> closes it.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>credential:{credentialId}</term><description>A credential cannot get a token or read its mailbox (raised and resolved by the engine when the credential's status changes). Email processing.</description></item>
/// <item><term>ingestion:{mailboxId}</term><description>Emails of the mailbox failed permanently (resolved when none is left failed). Email processing.</description></item>
/// <item><term>secret-expiry:{credentialId}</term><description>A client secret or certificate expires within 30 days (daily check). Email processing.</description></item>
/// <item><term>subscription:{credentialId}</term><description>A webhook subscription could not be created or renewed — to be raised/resolved by the subscriptions feature. Integration.</description></item>
/// <item><term>contacts:{mailboxId}</term><description>The scheduled Outlook contact sync failed — to be raised/resolved by the contacts feature. Integration.</description></item>
/// <item><term>retention</term><description>The data retention purge failed (resolved by the next purge that completes). Email processing.</description></item>
/// <item><term>ledger:{mailboxId}</term><description>The daily ledger found mail in the watched folder the portal has no record of (resolved when a later ledger is clean). Email processing.</description></item>
/// </list>
/// </remarks>
internal static class ProblemKeys
{
    public static string Credential(int credentialId) => Key("credential", credentialId);

    public static string Ingestion(int mailboxId) => Key("ingestion", mailboxId);

    public static string SecretExpiry(int credentialId) => Key("secret-expiry", credentialId);

    public static string Subscription(int credentialId) => Key("subscription", credentialId);

    public static string Contacts(int mailboxId) => Key("contacts", mailboxId);

    public static string Ledger(int mailboxId) => Key("ledger", mailboxId);

    public const string Retention = "retention";

    private static string Key(string kind, int id) => string.Create(CultureInfo.InvariantCulture, $"{kind}:{id}");
}
