using HaloPortal.Components.Pages.Configuration.Email.Components;
using HaloPortal.Components.Shared;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Portal;
using HaloPortal.Hosting;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace HaloPortal.Components.Pages.Configuration.Email;

/// <summary>New credentials for a mailbox, or an existing set edited; every rule is checked live with the engine's validation.</summary>
public sealed partial class CredentialEditor
{
    private CredentialForm? _form;
    private MailboxDetails? _mailbox;
    private string? _notFound;
    private bool _loading = true;
    private bool _saving;
    private bool _dirty;
    private const string SaveMessageKey = "credential-save";

    /// <summary>Set on the "new" route.</summary>
    [Parameter]
    public int? MailboxId { get; set; }

    /// <summary>Set on the "edit" route.</summary>
    [Parameter]
    public int? CredentialId { get; set; }

    [CascadingParameter]
    private Task<AuthenticationState> AuthState { get; set; } = default!;

    [Inject]
    private IMailboxes Mailboxes { get; set; } = default!;

    [Inject]
    private ICredentials Credentials { get; set; } = default!;

    [Inject]
    private ICredentialConnections Connections { get; set; } = default!;

    [Inject]
    private IOptions<PortalOptions> Options { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    private string Title => _form?.Existing is { } existing ? $"Edit {existing.Instance} credentials" : "New credentials";

    private string BackUrl => $"/configuration/email/mailboxes/{_mailbox?.Id ?? MailboxId}?tab=credentials";

    private IReadOnlyCollection<PortalInstance> TakenInstances => _mailbox?.Credentials.Select(c => c.Instance).ToList() ?? [];

    private string RedirectUri => AuthCallbackEndpoints.RedirectUri(Options.Value, null, Navigation.BaseUri);

    private string LegacyRedirectUri => (Options.Value.PublicBaseUrl ?? Navigation.BaseUri).TrimEnd('/') + AuthCallbackEndpoints.LegacyCallbackPath;

    protected override async Task OnParametersSetAsync()
    {
        _loading = true;
        _notFound = null;
        if (CredentialId is { } credentialId)
        {
            var existing = await Credentials.GetAsync(credentialId);
            _mailbox = existing is null ? null : await Mailboxes.GetAsync(existing.MailboxId);
            if (existing is null || _mailbox is null)
            {
                _notFound = $"Credential {credentialId} does not exist (it may have been deleted).";
            }
            else
            {
                _form = new CredentialForm(InputFrom(existing), existing, Options.Value.Hosting);
            }
        }
        else
        {
            _mailbox = await Mailboxes.GetAsync(MailboxId ?? 0);
            if (_mailbox is null)
            {
                _notFound = $"Mailbox {MailboxId} does not exist (it may have been deleted).";
            }
            else
            {
                _form = new CredentialForm(NewInput(_mailbox), null, Options.Value.Hosting);
            }
        }

        _form?.Validate(Credentials);
        _loading = false;
    }

    /// <summary>A new set defaults to this deployment's instance, or the first one the mailbox has no credentials for.</summary>
    private CredentialInput NewInput(MailboxDetails mailbox)
    {
        var taken = mailbox.Credentials.Select(c => c.Instance).ToHashSet();
        var instance = taken.Contains(Options.Value.Instance)
            ? Enum.GetValues<PortalInstance>().FirstOrDefault(i => !taken.Contains(i), Options.Value.Instance)
            : Options.Value.Instance;
        return new CredentialInput { Instance = instance };
    }

    private static CredentialInput InputFrom(CredentialView c) => CredentialInput.From(c);

    private Task OnChangedAsync()
    {
        _dirty = true;
        _form!.Validate(Credentials);
        return Task.CompletedTask;
    }

    /// <summary>Leaving with unsaved changes asks first (the browser asks for reloads and other sites).</summary>
    private async Task ConfirmLeaveAsync(LocationChangingContext context)
    {
        if (!_dirty || _saving)
        {
            return;
        }

        var leave = await Dialogs.ConfirmAsync("Unsaved changes", "Leave without saving the credential?", "Leave without saving",
            "The changes you made on this page are lost. Choose Cancel to stay and click Save.", Color.Warning);
        if (!leave)
        {
            context.PreventNavigation();
        }
    }

    private async Task SaveAsync()
    {
        var form = _form!;
        form.ShowAllErrors();
        form.Validate(Credentials);
        if (form.CertificateError is not null)
        {
            Snackbar.Add("The certificate cannot be used: see the message under it.", Severity.Error);
            return;
        }

        _saving = true;
        try
        {
            var actor = await AuthState.ActorAsync();
            var saved = form.Existing is { } existing
                ? await Credentials.UpdateAsync(existing.Id, form.Snapshot(), actor)
                : await Credentials.CreateAsync(_mailbox!.Id, form.Snapshot(), actor);
            _dirty = false;
            Snackbar.RemoveByKey(SaveMessageKey);
            Snackbar.Add(saved.CertificateThumbprint is { } thumbprint && form.Input.Certificate is not null
                ? $"{saved.Instance} credentials saved with certificate {thumbprint}."
                : $"{saved.Instance} credentials saved.", Severity.Success);
            Navigation.NavigateTo($"/configuration/email/mailboxes/{saved.MailboxId}?tab=credentials&credential={saved.Id}");
        }
        catch (CredentialValidationException ex)
        {
            form.ShowErrors(ex.Validation);
            Snackbar.Add("Not saved: correct the fields marked in red.", Severity.Error, key: SaveMessageKey);
        }
        catch (KeyNotFoundException ex)
        {
            _notFound = ex.Message;
        }
        finally
        {
            _saving = false;
        }
    }

    private async Task DisconnectAsync()
    {
        var existing = _form!.Existing!;
        var confirmed = await Dialogs.ConfirmAsync("Disconnect", $"Disconnect the {existing.Instance} credential of '{_mailbox!.Name}'?", "Disconnect",
            EmailLabels.DisconnectConsequence(existing.AuthMethod), Color.Warning);
        if (!confirmed)
        {
            return;
        }

        await Connections.DisconnectAsync(existing.Id, await AuthState.ActorAsync());
        if (await Credentials.GetAsync(existing.Id) is { } reloaded)
        {
            _form.Reload(reloaded);
            _form.Validate(Credentials);
        }

        Snackbar.Add("Disconnected: the fields are unlocked.", Severity.Success);
    }
}
