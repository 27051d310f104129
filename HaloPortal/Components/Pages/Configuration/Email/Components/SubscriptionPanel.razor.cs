using HaloPortal.Components.Shared;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Subscriptions;
using HaloPortal.Engine.Tokens;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace HaloPortal.Components.Pages.Configuration.Email.Components;

/// <summary>The subscription panel of a Webhooks credential card; refreshes when the engine renews or recreates the subscription.</summary>
public sealed partial class SubscriptionPanel
{
    private SubscriptionView? _subscription;
    private KnownError? _error;
    private string? _note;
    private bool _busy;
    private string? _busyText;

    [Parameter, EditorRequired]
    public required CredentialView Credential { get; set; }

    /// <summary>Raised after a create or cancel (the card reloads the credential's error).</summary>
    [Parameter]
    public EventCallback OnChanged { get; set; }

    [CascadingParameter]
    private Task<AuthenticationState> AuthState { get; set; } = default!;

    [Inject]
    private ISubscriptions Subscriptions { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    private bool HasLive => _subscription is { Status: not SubscriptionStatus.Cancelled };

    private Color StatusColor => _subscription?.Status switch
    {
        SubscriptionStatus.Active => Color.Success,
        SubscriptionStatus.Failed => Color.Error,
        _ => Color.Default,
    };

    protected override async Task OnInitializedAsync()
    {
        Subscriptions.Changed += OnEngineChanged;
        await LoadAsync();
    }

    public void Dispose() => Subscriptions.Changed -= OnEngineChanged;

    private void OnEngineChanged(int credentialId)
    {
        if (credentialId == Credential.Id)
        {
            _ = InvokeAsync(async () =>
            {
                await LoadAsync();
                StateHasChanged();
            });
        }
    }

    private async Task LoadAsync() => _subscription = await Subscriptions.GetAsync(Credential.Id);

    private async Task CreateAsync()
    {
        _busy = true;
        _busyText = "Testing the connection, then registering the subscription with Graph (Graph calls the portal back to validate it)…";
        _error = null;
        _note = null;
        try
        {
            var created = await Subscriptions.CreateAsync(Credential.Id, await AuthState.ActorAsync());
            _subscription = created;
            _note = created.Note;
            Snackbar.Add($"Subscription created; it expires {created.ExpiresAt:yyyy-MM-dd HH:mm} UTC and is renewed automatically.", Severity.Success);
        }
        catch (CredentialException ex)
        {
            _error = ex.Error;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            _error = KnownErrors.Unknown("SubscriptionRefused", ex.Message) with
            {
                Title = "Cannot create the subscription",
                Fix = "Do what the message says (edit or test the credential, or cancel the existing subscription), then click Create subscription again.",
            };
        }
        finally
        {
            _busy = false;
        }

        await OnChanged.InvokeAsync();
    }

    private async Task CancelAsync()
    {
        var confirmed = await Dialogs.ConfirmAsync("Cancel subscription", "Cancel the webhook subscription?", "Cancel subscription",
            "Graph stops notifying the portal. New mail is then only found by the safety scan every 30 minutes.", Color.Warning);
        if (!confirmed)
        {
            return;
        }

        _busy = true;
        _busyText = "Deleting the subscription at Graph…";
        _error = null;
        try
        {
            await Subscriptions.CancelAsync(Credential.Id, await AuthState.ActorAsync());
            await LoadAsync();
            Snackbar.Add("Subscription cancelled.", Severity.Success);
        }
        catch (CredentialException ex)
        {
            _error = ex.Error;
        }
        finally
        {
            _busy = false;
        }

        await OnChanged.InvokeAsync();
    }
}
