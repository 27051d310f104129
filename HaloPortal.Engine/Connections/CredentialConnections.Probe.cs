using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;

namespace HaloPortal.Engine.Connections;

/// <summary>The probe behind every connection test: a token, then the mailbox read as the app or the signed-in account, step by step.</summary>
internal sealed partial class CredentialConnections
{
    /// <summary>
    /// The calls the engine makes on the mailbox: token, the mailbox owner, its type, its inbox, one message. Only the
    /// permissions the Required permissions panel lists are assumed: lookups that need more (the owner's directory entry,
    /// the mailbox's settings) are used when granted and skipped otherwise — the mail calls prove access either way.
    /// </summary>
    private async Task<Probe> ProbeAsync(MailboxCredential credential, List<string> steps, bool forceRefresh, CancellationToken cancellationToken)
    {
        var token = await tokens.AcquireAsync(credential, forceRefresh, cancellationToken);
        steps.Add("Got an access token from " + authorities.For(credential.Authority).DisplayName + ".");
        var client = graph.For(credential);

        string address;
        string? displayName;
        if (credential.AuthMethod == AuthMethod.ClientCredentials)
        {
            var target = credential.EmailAddress!;
            address = target;
            displayName = null;
            var user = await OptionalAsync(() => client.Users[target].GetAsync(r => r.QueryParameters.Select = ["id", "displayName", "mail", "userPrincipalName"], cancellationToken));
            if (user is null)
            {
                steps.Add("Skipped looking up the mailbox owner (the app has no directory permission, which is not required).");
            }
            else
            {
                if (!string.Equals(user.UserPrincipalName, target, StringComparison.OrdinalIgnoreCase))
                {
                    throw new CredentialException(KnownErrors.Find("UpnMismatch")! with
                    {
                        Message = $"The mailbox {target} belongs to the user {user.UserPrincipalName}, whose UPN differs from the address.",
                    });
                }

                address = user.Mail ?? target;
                displayName = user.DisplayName;
                steps.Add($"Found the mailbox owner {displayName} <{user.UserPrincipalName}>.");
            }
        }
        else
        {
            // /me needs User.Read, which the delegated permission list does not require: the signed-in account is known from the sign-in itself.
            var me = await OptionalAsync(() => client.Me.GetAsync(r => r.QueryParameters.Select = ["id", "displayName", "mail", "userPrincipalName"], cancellationToken));
            address = me?.Mail ?? me?.UserPrincipalName ?? token.Account?.Username ?? "";
            displayName = me?.DisplayName ?? token.ClaimsPrincipal?.FindFirst("name")?.Value;
            steps.Add($"Signed-in account: {displayName} <{address}>.");
            if (!string.IsNullOrWhiteSpace(credential.SharedMailbox))
            {
                try
                {
                    await GraphCall.RunAsync(() => client.Users[credential.SharedMailbox].MailFolders["inbox"].GetAsync(cancellationToken: cancellationToken));
                }
                catch (CredentialException ex) when (ex.Error.Kind is ErrorKind.Permission or ErrorKind.Configuration)
                {
                    throw new CredentialException(KnownErrors.Find("SharedMailboxNotDelegated")! with
                    {
                        Message = $"{address} cannot open the shared mailbox {credential.SharedMailbox} ({ex.Error.Title}). The portal will not fall back to {address}'s own inbox.",
                    }, ex);
                }

                steps.Add($"{address} has access to the shared mailbox {credential.SharedMailbox}.");
                address = credential.SharedMailbox;
                displayName = credential.SharedMailbox;
            }
        }

        var mailbox = credential.AuthMethod == AuthMethod.ClientCredentials || !string.IsNullOrWhiteSpace(credential.SharedMailbox)
            ? client.Users[address]
            : null;
        if (mailbox is not null)
        {
            await CheckMailboxTypeAsync(mailbox, address, steps, cancellationToken);
        }

        var inbox = mailbox is not null
            ? await GraphCall.RunAsync(() => mailbox.MailFolders["inbox"].GetAsync(cancellationToken: cancellationToken))
            : await GraphCall.RunAsync(() => client.Me.MailFolders["inbox"].GetAsync(cancellationToken: cancellationToken));
        steps.Add($"Opened the inbox ({inbox?.TotalItemCount ?? 0} messages, {inbox?.UnreadItemCount ?? 0} unread).");

        if (mailbox is not null)
        {
            await GraphCall.RunAsync(() => mailbox.MailFolders["inbox"].Messages.GetAsync(r => { r.QueryParameters.Top = 1; r.QueryParameters.Select = ["id"]; }, cancellationToken));
        }
        else
        {
            await GraphCall.RunAsync(() => client.Me.MailFolders["inbox"].Messages.GetAsync(r => { r.QueryParameters.Top = 1; r.QueryParameters.Select = ["id"]; }, cancellationToken));
        }

        steps.Add("Read the newest message's id: the engine can process this mailbox.");
        return new Probe(address, displayName, inbox?.TotalItemCount);
    }

    /// <summary>Room and equipment mailboxes answer mail calls like any other, so their purpose is read from the mailbox settings (when permitted).</summary>
    private static async Task CheckMailboxTypeAsync(Microsoft.Graph.Users.Item.UserItemRequestBuilder mailbox, string address, List<string> steps, CancellationToken cancellationToken)
    {
        var settings = await OptionalAsync(() => mailbox.MailboxSettings.GetAsync(cancellationToken: cancellationToken));
        var purpose = settings?.UserPurpose;
        if (purpose is Microsoft.Graph.Models.UserPurpose.Room or Microsoft.Graph.Models.UserPurpose.Equipment)
        {
            var kind = purpose == Microsoft.Graph.Models.UserPurpose.Room ? "room" : "equipment";
            throw new CredentialException(KnownErrors.Find("MailboxNotEnabledForRESTAPI")! with
            {
                Message = $"{address} is a {kind} mailbox, which is not supported: only licensed and shared mailboxes can be connected.",
            });
        }

        steps.Add(settings is null
            ? "Skipped checking the mailbox type (the app may not read mailbox settings, which is not required)."
            : $"The mailbox is a {(purpose == Microsoft.Graph.Models.UserPurpose.Shared ? "shared" : "licensed user")} mailbox.");
    }

    /// <summary>A lookup that needs a permission beyond the required ones: null when Graph refuses it for lack of permission.</summary>
    private static async Task<T?> OptionalAsync<T>(Func<Task<T?>> call)
        where T : class
    {
        try
        {
            return await GraphCall.RunAsync(call);
        }
        catch (CredentialException ex) when (ex.Error.Kind == ErrorKind.Permission)
        {
            return null;
        }
    }
}
