using HaloPortal.Components.Shared;
using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace HaloPortal.Components.Pages.Configuration.Email.Components;

/// <summary>A credential set on the mailbox page, with its actions: edit, test, sign in, disconnect, delete.</summary>
public sealed partial class CredentialCard
{
    private CredentialValidation _expiry = new();
    private ConnectionTestResult? _test;
    private bool _testing;

    [Parameter, EditorRequired]
    public required CredentialView Credential { get; set; }

    [Parameter, EditorRequired]
    public required string MailboxName { get; set; }

    /// <summary>Marks the credential a sign-in just returned for.</summary>
    [Parameter]
    public bool Highlight { get; set; }

    /// <summary>Raised after a change the mailbox page must reload for.</summary>
    [Parameter]
    public EventCallback OnChanged { get; set; }

    [CascadingParameter]
    private Task<AuthenticationState> AuthState { get; set; } = default!;

    [Inject]
    private ICredentials Credentials { get; set; } = default!;

    [Inject]
    private ICredentialConnections Connections { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IOptions<PortalOptions> Options { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    private bool CanTest => Credential.AuthMethod == AuthMethod.ClientCredentials || Credential.Locked;

    private bool CanDisconnect => Credential.AuthMethod == AuthMethod.AuthorizationCode
        ? Credential.Locked || Credential.Status != CredentialStatus.NotConnected
        : Credential.Connection != ConnectionState.Disconnected && (Credential.ConnectedAddress is not null || Credential.Status != CredentialStatus.NotConnected);

    private string NoAddressText => Credential.Connection switch
    {
        ConnectionState.Disconnected => Credential.AuthMethod == AuthMethod.AuthorizationCode ? "None: nobody is signed in" : "None: disconnected",
        ConnectionState.NeedsAttention => "None: the mailbox has not been reached",
        _ => "Not verified yet: click Test connection",
    };

    private string TargetText => Credential.AuthMethod == AuthMethod.ClientCredentials
        ? Credential.EmailAddress ?? "—"
        : string.IsNullOrWhiteSpace(Credential.SharedMailbox)
            ? "The signing-in user's own mailbox"
            : $"Shared mailbox {Credential.SharedMailbox}";

    protected override void OnParametersSet()
    {
        var now = Time.GetUtcNow();
        _expiry = new CredentialValidation();
        if (Credential.CredentialType == CredentialType.ClientSecret)
        {
            CredentialRules.CheckExpiry(_expiry, "secretExpiresAt", "client secret", Credential.SecretExpiresAt, now);
        }
        else if (Credential.CredentialType == CredentialType.Certificate)
        {
            CredentialRules.CheckExpiry(_expiry, "certificate", "certificate", Credential.CertificateExpiresAt, now);
        }
    }

    private async Task TestAsync()
    {
        _testing = true;
        _test = null;
        StateHasChanged();
        try
        {
            _test = await Connections.TestAsync(Credential.Id);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Anything the catalogue does not recognise is still shown, with the generic advice.
            _test = new ConnectionTestResult(false, null, null, null, KnownErrors.Unknown(ex.GetType().Name, ex.Message), []);
        }
        finally
        {
            _testing = false;
        }

        Snackbar.Add(_test.Ok ? $"Connected to {_test.Address}." : $"Test failed: {_test.Error?.Title}.", _test.Ok ? Severity.Success : Severity.Error);
        await OnChanged.InvokeAsync();
    }

    private async Task AuthorizeAsync()
    {
        var parameters = new DialogParameters<SignInWarningDialog> { { d => d.SharedMailbox, Credential.SharedMailbox } };
        var dialog = await Dialogs.ShowAsync<SignInWarningDialog>("Before you sign in", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is not { Canceled: false })
        {
            return;
        }

        var returnUrl = Uri.EscapeDataString($"/configuration/email/mailboxes/{Credential.MailboxId}?tab=credentials");
        Navigation.NavigateTo($"/credentials/{Credential.Id}/authorize?returnUrl={returnUrl}", forceLoad: true);
    }

    private async Task DisconnectAsync()
    {
        var confirmed = await Dialogs.ConfirmAsync("Disconnect", $"Disconnect the {Credential.Instance} credential of '{MailboxName}'?", "Disconnect",
            EmailLabels.DisconnectConsequence(Credential.AuthMethod), Color.Warning);
        if (!confirmed)
        {
            return;
        }

        await Connections.DisconnectAsync(Credential.Id, await AuthState.ActorAsync());
        _test = null;
        Snackbar.Add("Disconnected.", Severity.Success);
        await OnChanged.InvokeAsync();
    }

    private async Task DeleteAsync()
    {
        var confirmed = await Dialogs.ConfirmAsync("Delete credentials", $"Delete the {Credential.Instance} credentials of '{MailboxName}'?", "Delete",
            Credential.ProcessedHere ? "This deployment stops reading the mailbox. This cannot be undone." : "This cannot be undone.");
        if (!confirmed)
        {
            return;
        }

        await Credentials.DeleteAsync(Credential.Id, await AuthState.ActorAsync());
        Snackbar.Add($"{Credential.Instance} credentials deleted.", Severity.Success);
        await OnChanged.InvokeAsync();
    }
}
