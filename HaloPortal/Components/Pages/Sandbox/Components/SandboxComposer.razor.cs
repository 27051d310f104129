using HaloPortal.Sandbox;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MimeKit;
using MimeKit.Utils;
using MudBlazor;

namespace HaloPortal.Components.Pages.Sandbox.Components;

public sealed partial class SandboxComposer
{
    /// <summary>The largest attachment the composer reads (the sandbox itself has no limit; the portal's mailboxes default to 25 MB).</summary>
    private const long MaxAttachmentBytes = 40L * 1024 * 1024;

    private readonly List<PickedFile> _files = [];
    private MudFileUpload<IReadOnlyList<IBrowserFile>>? _upload;
    private string _from = "Jane Customer <jane@customer.example>";
    private string? _to;
    private string _cc = "";
    private string _subject = "";
    private string _body = "";
    private bool _html;
    private bool _autoReply;
    private bool _sending;
    private string? _error;
    private SandboxDeliveredMessage? _last;
    private string? _lastMailbox;
    private string? _lastSubject;
    private int _lastAttachments;
    private SandboxMessageInfo? _preparedFor;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Parameter, EditorRequired]
    public required ISandboxControl Control { get; set; }

    [Parameter, EditorRequired]
    public required IReadOnlyList<SandboxMailboxInfo> Mailboxes { get; set; }

    /// <summary>The mailbox "To" starts on.</summary>
    [Parameter]
    public string? DefaultMailbox { get; set; }

    /// <summary>A message (picked in the viewer) this mail replies to.</summary>
    [Parameter]
    public SandboxMessageInfo? ReplyTo { get; set; }

    /// <summary>The mailbox <see cref="ReplyTo"/> is in: the reply goes there.</summary>
    [Parameter]
    public string? ReplyToMailbox { get; set; }

    [Parameter]
    public EventCallback ReplyCleared { get; set; }

    /// <summary>Raised with the mailbox address after a message was delivered.</summary>
    [Parameter]
    public EventCallback<string> Delivered { get; set; }

    protected override void OnParametersSet()
    {
        _to ??= DefaultMailbox ?? Mailboxes.FirstOrDefault()?.Address;
        if (ReplyTo is not null && !ReferenceEquals(ReplyTo, _preparedFor))
        {
            _preparedFor = ReplyTo;
            _subject = ReplyTo.Subject.StartsWith("RE:", StringComparison.OrdinalIgnoreCase) ? ReplyTo.Subject : "RE: " + ReplyTo.Subject;
            _to = ReplyToMailbox ?? _to;
            if (string.IsNullOrWhiteSpace(_body))
            {
                _body = "Thanks, here is more information.";
            }
        }
        else if (ReplyTo is null)
        {
            _preparedFor = null;
        }
    }

    private static string FileSize(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / 1024d / 1024d:0.#} MB" : $"{Math.Max(1, bytes / 1024)} KB";

    /// <summary>A picked file, read at once: the browser's handle to it is gone after the next pick.</summary>
    private sealed record PickedFile(string Name, string ContentType, byte[] Content);

    /// <summary>
    /// Reads the picked files and empties the picker, so each file is listed once: picking the same file again (same name and
    /// size) does not add it twice, and the next pick brings only new files.
    /// </summary>
    private async Task AddFilesAsync(IReadOnlyList<IBrowserFile>? files)
    {
        _error = null;
        foreach (var file in files ?? [])
        {
            if (file.Size > MaxAttachmentBytes)
            {
                _error = $"{file.Name} is larger than {MaxAttachmentBytes / 1024 / 1024} MB; attach a smaller file.";
                continue;
            }

            if (_files.Any(f => f.Name == file.Name && f.Content.LongLength == file.Size))
            {
                continue;
            }

            using var buffer = new MemoryStream();
            await using (var stream = file.OpenReadStream(MaxAttachmentBytes))
            {
                await stream.CopyToAsync(buffer);
            }

            _files.Add(new PickedFile(file.Name, file.ContentType, buffer.ToArray()));
        }

        if (_upload is not null && files is { Count: > 0 })
        {
            await _upload.ClearAsync();
        }
    }

    private void RemoveFile(PickedFile file) => _files.Remove(file);

    private Task ClearReplyAsync() => ReplyCleared.InvokeAsync();

    private async Task DeliverAsync()
    {
        _error = null;
        if (string.IsNullOrWhiteSpace(_to))
        {
            _error = "Pick the sandbox mailbox to deliver to.";
            return;
        }

        _sending = true;
        try
        {
            var message = Build();
            using var mime = new MemoryStream();
            await message.WriteToAsync(mime);
            mime.Position = 0;
            _last = await Control.DeliverMimeAsync(_to, mime);
            _lastMailbox = _to;
            _lastSubject = message.Subject;
            _lastAttachments = _files.Count;
            _files.Clear();
            Snackbar.Add($"Delivered “{message.Subject}” to {_to}.", Severity.Success);
            await Delivered.InvokeAsync(_to);
        }
        catch (Exception e) when (e is ArgumentException or SandboxNotFoundException or ParseException or FormatException or IOException)
        {
            _error = e is ArgumentException refusal ? HaloPortal.Components.Shared.FieldErrors.UserMessage(refusal) : e.Message;
        }
        finally
        {
            _sending = false;
        }
    }

    /// <summary>The message as a mail server would hand it over: headers, body and attachments.</summary>
    private MimeMessage Build()
    {
        if (!MailboxAddress.TryParse(_from, out var from) || !from.Address.Contains('@', StringComparison.Ordinal))
        {
            throw new ArgumentException($"From: “{_from}” is not an email address; write e.g. Jane Customer <jane@customer.example>.");
        }

        var message = new MimeMessage();
        message.From.Add(from);
        message.To.Add(MailboxAddress.Parse(_to!));
        if (!string.IsNullOrWhiteSpace(_cc))
        {
            if (!InternetAddressList.TryParse(_cc, out var cc))
            {
                throw new ArgumentException($"Cc: “{_cc}” is not a list of email addresses; separate them with commas.");
            }

            message.Cc.AddRange(cc);
        }

        message.Subject = string.IsNullOrWhiteSpace(_subject) ? "(no subject)" : _subject.Trim();
        message.Date = Time.GetUtcNow();
        message.MessageId = MimeUtils.GenerateMessageId(from.Domain);
        if (ReplyTo?.InternetMessageId is { } parent)
        {
            var id = parent.Trim('<', '>');
            message.InReplyTo = id;
            message.References.Add(id);
        }

        if (_autoReply)
        {
            message.Headers.Add("Auto-Submitted", "auto-replied");
            message.Headers.Add("X-Auto-Response-Suppress", "All");
        }

        var body = new BodyBuilder();
        if (_html)
        {
            body.HtmlBody = _body;
        }
        else
        {
            body.TextBody = _body;
        }

        foreach (var file in _files)
        {
            body.Attachments.Add(file.Name, file.Content, ContentType.TryParse(file.ContentType, out var type) ? type : new ContentType("application", "octet-stream"));
        }

        message.Body = body.ToMessageBody();
        return message;
    }
}
