using System.Text;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Data;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Graph;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tickets;
using HaloPortal.Engine.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;

namespace HaloPortal.Engine.Outbound;

/// <summary>Outbound sending settings.</summary>
internal sealed class OutboundOptions
{
    public const string SectionName = "Portal:Outbound";

    /// <summary>Attempts (transient failures) before a message is marked Failed.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 50)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>How often the sender looks for due retries when nothing wakes it.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 3600)]
    public int PollSeconds { get; set; } = 15;
}

/// <summary>The mailbox credential mail goes out through, and why that one.</summary>
internal sealed record SendingMailbox(MailboxCredential Credential, string Address, string? DisplayName, string How);

/// <summary>One mailbox's ability to send: <see cref="Sender"/> when it can, else <see cref="Reason"/> (its name is null when it was deleted).</summary>
internal sealed record MailboxCheck(string? Name, string? Address, SendingMailbox? Sender, string? Reason);

/// <summary>
/// Sends queued <see cref="OutboundMessage"/>s through Graph sendMail (base64 MIME), or — when the attachments are too large for
/// one request — as a draft with upload sessions (<see cref="DraftSender"/>), with retries and back-off.
/// </summary>
internal sealed class OutboundSender(
    IDbContextFactory<PortalDbContext> contexts,
    IGraphClients graph,
    DraftSender drafts,
    IDeployment deployment,
    IEmailSettings emailSettings,
    OutboundEvents events,
    Nodes.NodeRegistry nodes,
    TimeProvider time,
    IOptions<PortalOptions> portal,
    IOptions<OutboundOptions> options,
    ILogger<OutboundSender> logger)
{
    private static readonly Dictionary<string, ParsableFactory<IParsable>> ErrorMapping = new()
    {
        ["XXX"] = ODataError.CreateFromDiscriminatorValue,
    };

    /// <summary>Sends every message that is due; returns when the next one is due (null: nothing waiting).</summary>
    public async Task<DateTimeOffset?> SendDueAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = time.GetUtcNow();
            List<long> due;
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                due = await db.Set<OutboundMessage>().Where(m => m.Status == OutboundStatus.Queued && (m.NextAttemptAt == null || m.NextAttemptAt <= now))
                    .OrderBy(m => m.Id).Select(m => m.Id).Take(20).ToListAsync(cancellationToken);
            }

            if (due.Count == 0)
            {
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                return await db.Set<OutboundMessage>().Where(m => m.Status == OutboundStatus.Queued).MinAsync(m => m.NextAttemptAt, cancellationToken);
            }

            foreach (var id in due)
            {
                await SendOneAsync(id, cancellationToken);
            }
        }
    }

    /// <summary>How long a claim on a message being sent lasts: past the Graph client's timeout, so a slow send is never sent twice by another node (a dead node's claims are taken over sooner).</summary>
    internal static readonly TimeSpan SendClaim = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Claims and sends one message (a message another worker or node claimed first is left alone): one conditional UPDATE moves it
    /// from Queued to Sending and records this node's claim.
    /// </summary>
    public async Task SendOneAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var (me, name, until) = (nodes.InstanceId, nodes.Name, time.GetUtcNow() + SendClaim);
        var claimed = await db.Set<OutboundMessage>().Where(m => m.Id == id && m.Status == OutboundStatus.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, OutboundStatus.Sending)
                .SetProperty(m => m.ClaimedBy, me).SetProperty(m => m.ClaimExpiresAt, until).SetProperty(m => m.Node, name), cancellationToken);
        if (claimed == 0)
        {
            return;
        }

        var message = await db.Set<OutboundMessage>().SingleAsync(m => m.Id == id, cancellationToken);
        Raise(message);
        try
        {
            var sender = message.Kind == OutboundKind.Reply
                ? await ReplySenderAsync(db, message, cancellationToken)
                : await ResolveSenderAsync(db, message.PreferredMailboxId, cancellationToken) ?? throw new CredentialException(NoSender(message));
            var attachments = message.TicketMessageId is { } tm
                ? await db.Set<TicketAttachment>().AsNoTracking().Where(a => a.TicketMessageId == tm).OrderBy(a => a.Id).ToListAsync(cancellationToken)
                : [];
            var uploads = OutboundMime.NeedsUploads(attachments);
            // An earlier attempt whose outcome is not known for sure (its node died, or the answer was lost: a timeout, a 5xx after
            // Graph took it) may have sent it: Sent Items tells, so a retry never sends it twice.
            if ((message.Attempts > 0 || message.LastErrorCode == SendInterrupted) && await InSentItemsAsync(sender.Credential, message.InternetMessageId, cancellationToken))
            {
                logger.LogWarning("Outbound {Kind} {Id} was already sent by an earlier attempt ({MessageId} is in Sent Items; {Previous}): recorded as sent, not sent again",
                    message.Kind, message.Id, message.InternetMessageId, message.LastErrorCode);
            }
            else
            {
                if (message.Attempts > 0 || message.LastErrorCode == SendInterrupted)
                {
                    logger.LogWarning("Outbound {Kind} {Id} ({MessageId}) is not in Sent Items after an earlier attempt ({Previous}): sending it again",
                        message.Kind, message.Id, message.InternetMessageId, message.LastErrorCode);
                }

                if (uploads)
                {
                    await drafts.SendAsync(sender.Credential, message, sender.Address, sender.DisplayName, attachments, cancellationToken);
                }
                else
                {
                    var mime = OutboundMime.Build(message, sender.Address, sender.DisplayName, attachments, deployment.DeploymentId, time.GetUtcNow());
                    await SendMimeAsync(sender.Credential, OutboundMime.ToBytes(mime), cancellationToken);
                }
            }

            message.Status = OutboundStatus.Sent;
            message.SentAt = time.GetUtcNow();
            message.SentFrom = sender.Address;
            message.Attempts++;
            message.NextAttemptAt = null;
            message.LastError = null;
            message.LastErrorCode = null;
            if (message.TicketMessageId is { } ticketMessageId)
            {
                await db.Set<TicketMessage>().Where(t => t.Id == ticketMessageId)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.From, sender.Address), cancellationToken);
            }

            logger.LogInformation("Outbound {Kind} {Id} sent from {From} to {To} ({How})", message.Kind, message.Id, sender.Address, message.To, sender.How);
        }
        catch (CredentialException ex)
        {
            Failure(message, ex.Error, ex.RetryAfter);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Outbound {Id} could not be sent", message.Id);
            Failure(message, KnownErrors.Find("ServiceUnavailable")! with { Message = $"Sending failed: {ex.Message}" }, null);
        }

        message.ClaimedBy = null;
        message.ClaimExpiresAt = null;
        await db.SaveChangesAsync(CancellationToken.None);
        Raise(message);
    }

    /// <summary>The error code of a message whose sending node stopped before it recorded the outcome.</summary>
    internal const string SendInterrupted = "SendInterrupted";

    /// <summary>
    /// Queues again the messages a stopped or dead node left Sending, never one a live node is sending. The dead node may have
    /// handed it to Graph before it died, so each is marked <see cref="SendInterrupted"/>: before sending it again, the sender
    /// looks for its Message-ID in the mailbox's Sent Items and only records it as sent when it is there.
    /// </summary>
    public async Task<int> RecoverAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await nodes.Abandoned(db.Set<OutboundMessage>().Where(m => m.Status == OutboundStatus.Sending), db, now)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, OutboundStatus.Queued)
                .SetProperty(m => m.ClaimedBy, (string?)null).SetProperty(m => m.ClaimExpiresAt, (DateTimeOffset?)null)
                .SetProperty(m => m.LastErrorCode, SendInterrupted)
                .SetProperty(m => m.LastError, "The portal node sending it stopped before it recorded the outcome; Sent Items is checked before it is sent again."),
                cancellationToken);
    }

    /// <summary>Whether the sending mailbox's Sent Items holds a message with this Message-ID (what sendMail leaves behind).</summary>
    private async Task<bool> InSentItemsAsync(MailboxCredential credential, string internetMessageId, CancellationToken cancellationToken)
    {
        var client = graph.For(credential);
        var delegatedOwn = credential.AuthMethod == AuthMethod.AuthorizationCode && string.IsNullOrWhiteSpace(credential.SharedMailbox);
        // Graph gives a message's Internet Message-ID in angle brackets; ours is stored without them.
        var bracketed = $"<{internetMessageId.Trim().TrimStart('<').TrimEnd('>')}>";
        var filter = $"internetMessageId eq '{bracketed.Replace("'", "''", StringComparison.Ordinal)}'";
        var page = delegatedOwn
            ? await GraphCall.RunAsync(() => client.Me.MailFolders["sentitems"].Messages.GetAsync(r =>
            {
                r.QueryParameters.Filter = filter;
                r.QueryParameters.Select = ["id"];
                r.QueryParameters.Top = 1;
            }, cancellationToken))
            : await GraphCall.RunAsync(() => client.Users[credential.TargetAddress].MailFolders["sentitems"].Messages.GetAsync(r =>
            {
                r.QueryParameters.Filter = filter;
                r.QueryParameters.Select = ["id"];
                r.QueryParameters.Top = 1;
            }, cancellationToken));
        return page?.Value is { Count: > 0 };
    }

    /// <summary>
    /// Acknowledgements and notifications: the ticket's mailbox when its credential of this instance is connected, else the
    /// default outgoing mailbox. Replies never fall back here: they go only from the mailbox chosen when they were queued.
    /// </summary>
    internal async Task<SendingMailbox?> ResolveSenderAsync(PortalDbContext db, int? preferredMailboxId, CancellationToken cancellationToken)
    {
        if (preferredMailboxId is { } preferred && (await CheckMailboxAsync(db, preferred, "the ticket's mailbox", cancellationToken)).Sender is { } own)
        {
            return own;
        }

        var defaults = await emailSettings.GetAsync(cancellationToken);
        return defaults.DefaultOutgoingMailboxId is { } fallback
            ? (await CheckMailboxAsync(db, fallback, "the default outgoing mailbox", cancellationToken)).Sender
            : null;
    }

    /// <summary>Which mailbox a reply to a ticket of <paramref name="ticketMailboxId"/> would go out from now: the ticket's own, else the default outgoing one.</summary>
    internal async Task<ReplySenderPlan> PlanReplyAsync(PortalDbContext db, int? ticketMailboxId, CancellationToken cancellationToken)
    {
        ReplyMailbox? ticketMailbox = null;
        string reason;
        if (ticketMailboxId is { } id)
        {
            var own = await CheckMailboxAsync(db, id, "the ticket's mailbox", cancellationToken);
            if (own.Sender is { } sender)
            {
                var mailbox = new ReplyMailbox(id, own.Name!, sender.Address);
                return new ReplySenderPlan(mailbox, mailbox, false, null, null);
            }

            ticketMailbox = own.Name is null ? null : new ReplyMailbox(id, own.Name, own.Address);
            reason = ticketMailbox is null ? "The ticket's mailbox was deleted." : $"The ticket's mailbox {ticketMailbox} cannot send: {own.Reason}.";
        }
        else
        {
            reason = "The ticket has no mailbox of its own.";
        }

        const string Fix = "Connect the ticket's mailbox (Configuration > Email > Mailboxes > Credentials), or choose a connected default outgoing mailbox (Configuration > Email > General Settings).";
        var defaults = await emailSettings.GetAsync(cancellationToken);
        if (defaults.DefaultOutgoingMailboxId is not { } fallbackId)
        {
            return new ReplySenderPlan(null, ticketMailbox, false, reason, $"{reason} No default outgoing mailbox is set to send instead. {Fix}");
        }

        if (fallbackId == ticketMailboxId)
        {
            return new ReplySenderPlan(null, ticketMailbox, false, reason, $"{reason} It is also the default outgoing mailbox, so no other mailbox can send. {Fix}");
        }

        var fallback = await CheckMailboxAsync(db, fallbackId, "the default outgoing mailbox", cancellationToken);
        var fallbackMailbox = new ReplyMailbox(fallbackId, fallback.Name ?? defaults.DefaultOutgoingMailboxName ?? $"Mailbox {fallbackId}", fallback.Address);
        return fallback.Sender is null
            ? new ReplySenderPlan(null, ticketMailbox, false, reason, $"{reason} The default outgoing mailbox {fallbackMailbox} cannot send either: {fallback.Reason}. {Fix}")
            : new ReplySenderPlan(fallbackMailbox, ticketMailbox, true, reason, null);
    }

    /// <summary>Whether one mailbox can send now (its credential of this instance is connected and has an address), and if not, why.</summary>
    internal async Task<MailboxCheck> CheckMailboxAsync(PortalDbContext db, int mailboxId, string how, CancellationToken cancellationToken)
    {
        var here = portal.Value.Instance;
        var name = await db.Set<Mailbox>().Where(m => m.Id == mailboxId).Select(m => m.Name).SingleOrDefaultAsync(cancellationToken);
        if (name is null)
        {
            return new MailboxCheck(null, null, null, "it was deleted");
        }

        var credential = await db.Set<MailboxCredential>().AsNoTracking()
            .SingleOrDefaultAsync(c => c.MailboxId == mailboxId && c.Instance == here, cancellationToken);
        if (credential is null)
        {
            return new MailboxCheck(name, null, null, $"it has no credentials for this portal instance ({here})");
        }

        var address = credential.TargetAddress;
        // The same connection state the screens show: a mailbox sends only while the last call through it succeeded.
        var reason = ConnectionStates.Of(credential) switch
        {
            ConnectionState.Connected when address is null => "its credentials have no address to send from",
            ConnectionState.Connected => null,
            ConnectionState.NeedsAttention when credential.Status == CredentialStatus.NeedsReauthorisation => "its sign-in expired or was revoked, so it needs re-authorisation",
            ConnectionState.NeedsAttention => credential.LastErrorMessage is { Length: > 0 } last ? $"its connection is failing ({last.TrimEnd('.')})" : "its connection is failing",
            ConnectionState.NotTested => "its credentials changed and have not been tested since (click Test connection)",
            _ => credential.AuthMethod == AuthMethod.AuthorizationCode ? "nobody is signed in with its credentials (sign in)" : "its credentials were disconnected (click Test connection to connect them again)",
        };
        return reason is null
            ? new MailboxCheck(name, address, new SendingMailbox(credential, address!, name, how), null)
            : new MailboxCheck(name, address, null, reason);
    }

    private async Task SendMimeAsync(MailboxCredential credential, byte[] mime, CancellationToken cancellationToken)
    {
        var client = graph.For(credential);
        var delegatedOwn = credential.AuthMethod == AuthMethod.AuthorizationCode && string.IsNullOrWhiteSpace(credential.SharedMailbox);
        var body = new Microsoft.Graph.Me.SendMail.SendMailPostRequestBody();
        RequestInformation request = delegatedOwn
            ? client.Me.SendMail.ToPostRequestInformation(body)
            : client.Users[credential.TargetAddress].SendMail.ToPostRequestInformation(new Microsoft.Graph.Users.Item.SendMail.SendMailPostRequestBody());
        // sendMail with MIME: the body is the base64 of the message, as text/plain (the SDK only models the JSON form).
        request.Headers.Remove("Content-Type");
        request.SetStreamContent(new MemoryStream(Encoding.ASCII.GetBytes(Convert.ToBase64String(mime))), "text/plain");
        await GraphCall.RunAsync(() => client.RequestAdapter.SendNoContentAsync(request, ErrorMapping, cancellationToken));
    }

    private void Failure(OutboundMessage message, KnownError error, TimeSpan? retryAfter)
    {
        message.Attempts++;
        message.LastErrorCode = error.Code;
        if (error.Kind == ErrorKind.Transient && message.Attempts < options.Value.MaxAttempts)
        {
            message.Status = OutboundStatus.Queued;
            message.NextAttemptAt = time.GetUtcNow() + (retryAfter ?? Backoff(message.Attempts));
            message.LastError = $"{error.Message} Retrying at {message.NextAttemptAt:HH:mm:ss} UTC (attempt {message.Attempts + 1} of {options.Value.MaxAttempts}).";
        }
        else
        {
            message.Status = OutboundStatus.Failed;
            message.NextAttemptAt = null;
            message.LastError = $"{error.Title}: {error.Message} How to fix: {error.Fix}";
        }

        logger.LogWarning("Outbound {Id} to {To}: {Status} ({Code})", message.Id, message.To, message.Status, error.Code);
    }

    /// <summary>
    /// A reply goes only from the mailbox chosen when it was queued (the one the agent was shown and confirmed): when that one
    /// cannot send any more, the reply fails visibly instead of leaving from another mailbox.
    /// </summary>
    private async Task<SendingMailbox> ReplySenderAsync(PortalDbContext db, OutboundMessage message, CancellationToken cancellationToken)
    {
        if (message.PreferredMailboxId is not { } mailboxId)
        {
            throw new CredentialException(new KnownError(
                "NoSendingMailbox",
                "The reply's mailbox was deleted",
                "The mailbox this reply was to be sent from was deleted, so it was not sent. It is never sent from another mailbox than the one chosen.",
                "Write the reply again on the ticket: the composer shows which mailbox will send it.",
                ErrorKind.Configuration));
        }

        var check = await CheckMailboxAsync(db, mailboxId, "the mailbox chosen for the reply", cancellationToken);
        return check.Sender ?? throw new CredentialException(new KnownError(
            "NoSendingMailbox",
            "The reply's mailbox cannot send",
            $"This reply goes only from {new ReplyMailbox(mailboxId, check.Name ?? $"Mailbox {mailboxId}", check.Address)}, the mailbox chosen when it was written, and that mailbox cannot send: {check.Reason}. It was not sent from any other mailbox.",
            "Connect that mailbox again (Configuration > Email > Mailboxes > Credentials), then click Retry now. To send from the default outgoing mailbox (Configuration > Email > General Settings) instead, write the reply again and choose it.",
            ErrorKind.Configuration));
    }

    private static KnownError NoSender(OutboundMessage message) => new(
        "NoSendingMailbox",
        "No mailbox can send this email",
        message.PreferredMailboxId is null
            ? "The email has no mailbox of its own and no connected default outgoing mailbox is set."
            : "The ticket's mailbox has no connected credentials of this instance, and no connected default outgoing mailbox is set.",
        "Connect the ticket's mailbox (Configuration > Email > Mailboxes > Credentials), or choose a connected default outgoing mailbox under Configuration > Email > General Settings. Then click Retry now.",
        ErrorKind.Configuration);

    internal static TimeSpan Backoff(int attempts) => TimeSpan.FromSeconds(Math.Min(15 * Math.Pow(2, Math.Max(0, attempts - 1)), 3600));

    private void Raise(OutboundMessage message) => events.Raise(new OutboundChange(message.Id, message.TicketId, message.Status));
}
