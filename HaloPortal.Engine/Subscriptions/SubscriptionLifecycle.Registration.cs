using System.Security.Cryptography;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions;
using Mailbox = HaloPortal.Engine.Mailboxes.Mailbox;

namespace HaloPortal.Engine.Subscriptions;

/// <summary>Registering a subscription at Graph: the notification addresses, the clientState, the validation handshake.</summary>
internal sealed partial class SubscriptionLifecycle
{
    /// <summary>Creates the subscription at Graph (Graph runs the validation handshake against our receiver first).</summary>
    private async Task<(GraphSubscription Subscription, string? Note)> RegisterAsync(MailboxCredential credential, Mailbox mailbox, CancellationToken cancellationToken)
    {
        var (baseUrl, note) = PublicBaseUrl(credential);
        var notificationUrl = baseUrl + PortalRoutes.GraphNotifications;
        var resource = $"users/{credential.TargetAddress}/mailFolders('{mailbox.SourceFolder}')/messages";
        var clientState = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = time.GetUtcNow();
        Microsoft.Graph.Models.Subscription? created;
        try
        {
            created = await CallAsync(credential, client => client.Subscriptions.PostAsync(new Microsoft.Graph.Models.Subscription
            {
                ChangeType = "created",
                NotificationUrl = notificationUrl,
                LifecycleNotificationUrl = baseUrl + PortalRoutes.GraphLifecycle,
                Resource = resource,
                ExpirationDateTime = now + Options.Lifetime,
                ClientState = clientState,
            }, cancellationToken: cancellationToken));
        }
        catch (CredentialException ex) when (ex.InnerException is ApiException { ResponseStatusCode: 400 } && ex.Error.Message.Contains("validation", StringComparison.OrdinalIgnoreCase))
        {
            var known = KnownErrors.Find("SubscriptionValidationFailed")!;
            logger.LogWarning("Graph could not validate {Url}: {Message}", notificationUrl, ex.Error.Message);
            throw new CredentialException(known with
            {
                Message = $"{known.Message.Replace("{url}", notificationUrl, StringComparison.Ordinal)} Graph said: {ex.Error.Message}",
                Fix = known.Fix.Replace("{url}", notificationUrl, StringComparison.Ordinal),
            }, ex);
        }

        if (note is not null)
        {
            logger.LogInformation("{Note}", note);
        }

        return (new GraphSubscription
        {
            CredentialId = credential.Id,
            GraphSubscriptionId = created?.Id ?? throw new CredentialException(KnownErrors.Unknown("NoSubscriptionId", "Graph created the subscription but returned no id.")),
            Resource = created.Resource ?? resource,
            ChangeType = created.ChangeType ?? "created",
            NotificationUrl = notificationUrl,
            ExpiresAt = created.ExpirationDateTime ?? now + Options.Lifetime,
            ClientStateProtected = secrets.Protect(clientState),
            Status = SubscriptionStatus.Active,
            CreatedAt = now,
        }, note);
    }
}
