using HaloPortal.Components.Shared;
using HaloPortal.Engine.Outbound;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace HaloPortal.Components.Pages.Tickets;

public sealed partial class ReplyComposer
{
    private readonly List<ReplyAttachment> _files = [];
    private MudFileUpload<IReadOnlyList<IBrowserFile>>? _upload;
    private ReplySenderPlan? _plan;
    private string? _text;
    private string? _error;
    private string? _attachError;
    private string? _senderError;
    private bool _sending;
    private bool _confirming;
    private int? _plannedFor;

    [Inject]
    private IReplies Replies { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Parameter, EditorRequired]
    public required int TicketId { get; set; }

    [Parameter, EditorRequired]
    public required string RequesterEmail { get; set; }

    /// <summary>Called after the reply was stored (it shows on the thread as Queued).</summary>
    [Parameter]
    public EventCallback<OutboundInfo> OnQueued { get; set; }

    [CascadingParameter]
    private Task<AuthenticationState> AuthState { get; set; } = default!;

    // Planned once per ticket, then again on Send and "Check again": the From line never changes under the agent's choice.
    protected override async Task OnParametersSetAsync()
    {
        if (_plannedFor != TicketId)
        {
            _plannedFor = TicketId;
            _confirming = false;
            _plan = await Replies.PlanSenderAsync(TicketId);
        }
    }

    private async Task AddFilesAsync(IReadOnlyList<IBrowserFile>? files)
    {
        _attachError = null;
        foreach (var file in files ?? [])
        {
            var attached = _files.Sum(f => (long)f.Content.Length);
            if (attached + file.Size > ReplyLimits.MaxAttachmentBytes)
            {
                _attachError = attached == 0
                    ? $"{file.Name} is {file.Size / 1024.0 / 1024.0:F1} MB; a reply can carry at most {ReplyLimits.MaxAttachmentText} of attachments. Share it by link instead."
                    : $"{file.Name} ({file.Size / 1024.0 / 1024.0:F1} MB) would bring the attachments to {(attached + file.Size) / 1024.0 / 1024.0:F1} MB; a reply can carry at most {ReplyLimits.MaxAttachmentText}. Remove an attachment or share large files by link.";
                continue;
            }

            using var buffer = new MemoryStream();
            await file.OpenReadStream(ReplyLimits.MaxAttachmentBytes).CopyToAsync(buffer);
            _files.Add(new ReplyAttachment(file.Name, string.IsNullOrEmpty(file.ContentType) ? "application/octet-stream" : file.ContentType, buffer.ToArray()));
        }
    }

    /// <summary>
    /// Plans again first: the reply is queued at once only when the mailbox shown still sends it and it is the ticket's own.
    /// A fallback waits for the agent's choice; a sender that changed since it was shown is shown, not used.
    /// </summary>
    private async Task SendAsync()
    {
        _error = null;
        _senderError = null;
        var shown = _plan?.Sender;
        _plan = await Replies.PlanSenderAsync(TicketId);
        if (_plan.Sender is not { } sender)
        {
            return;
        }

        if (sender != shown)
        {
            _senderError = $"The mailbox that sends this reply changed: it is now {sender}. Nothing was sent; check the From line and press Send again.";
            return;
        }

        if (_plan.IsFallback)
        {
            _confirming = true;
            return;
        }

        await QueueAsync(sender);
    }

    private async Task ConfirmFallbackAsync()
    {
        if (_plan?.Sender is { } sender)
        {
            await QueueAsync(sender);
        }
    }

    private void CancelFallback()
    {
        _confirming = false;
        Snackbar.Add("Not sent. Your reply and its attachments are kept.", Severity.Info);
    }

    private async Task RecheckAsync()
    {
        _senderError = null;
        _plan = await Replies.PlanSenderAsync(TicketId);
    }

    private async Task QueueAsync(ReplyMailbox sender)
    {
        _sending = true;
        try
        {
            var author = new ReplyAuthor(await AuthState.ActorAsync(), null);
            var queued = await Replies.SendAsync(TicketId, author, ReplyFormatting.ToHtml(_text ?? ""), _files.ToList(), ReplyFrom.Confirmed(sender.Id));
            _text = null;
            _files.Clear();
            _confirming = false;
            if (_upload is not null)
            {
                await _upload.ClearAsync();
            }

            Snackbar.Add($"Reply queued: it is being sent from {sender}.", Severity.Success);
            await OnQueued.InvokeAsync(queued);
        }
        catch (ReplySenderException changed)
        {
            // The mailbox shown can no longer send it (or another would): nothing was sent; show the mailbox that would send now.
            _confirming = false;
            _plan = changed.Plan;
            _senderError = $"{changed.Message} {changed.Fix}";
        }
        catch (ArgumentException refusal)
        {
            _confirming = false;
            _error = FieldErrors.UserMessage(refusal);
        }
        finally
        {
            _sending = false;
        }
    }
}
