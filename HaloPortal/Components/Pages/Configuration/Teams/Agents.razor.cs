using HaloPortal.Components.Shared;
using HaloPortal.Engine.Accounts;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace HaloPortal.Components.Pages.Configuration.Teams;

public partial class Agents
{
    private MudTable<AgentSummary>? _table;
    private string? _search;

    [CascadingParameter]
    private Task<AuthenticationState> AuthState { get; set; } = default!;

    private async Task<TableData<AgentSummary>> LoadAsync(TableState state, CancellationToken cancellationToken)
    {
        var page = await AgentService.ListAsync(new AgentQuery(_search, state.Page + 1, state.PageSize), cancellationToken);
        return new TableData<AgentSummary> { Items = page.Items, TotalItems = page.Total };
    }

    private Task SearchAsync(string? search)
    {
        _search = search;
        return ReloadAsync();
    }

    private Task ReloadAsync() => _table?.ReloadServerData() ?? Task.CompletedTask;

    private async Task NewAsync()
    {
        var dialog = await Dialogs.ShowAsync<NewAgentDialog>("New agent", new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: AgentSummary created })
        {
            Snackbar.Add($"{created.DisplayName} can now sign in as {created.Email}.", Severity.Success);
            await ReloadAsync();
        }
    }

    private async Task EditAsync(AgentSummary agent)
    {
        var parameters = new DialogParameters<EditAgentDialog> { { d => d.Agent, agent } };
        var dialog = await Dialogs.ShowAsync<EditAgentDialog>("Edit agent", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add($"{agent.DisplayName} saved.", Severity.Success);
            await ReloadAsync();
        }
    }

    private async Task PreferencesAsync(AgentSummary agent)
    {
        var parameters = new DialogParameters<AgentPreferencesDialog> { { d => d.Agent, agent } };
        await Dialogs.ShowAsync<AgentPreferencesDialog>("Preferences", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
    }

    private async Task ResetPasswordAsync(AgentSummary agent)
    {
        var parameters = new DialogParameters<ResetPasswordDialog> { { d => d.Agent, agent } };
        var dialog = await Dialogs.ShowAsync<ResetPasswordDialog>("Reset password", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add($"The password of {agent.DisplayName} was reset.", Severity.Success);
            await ReloadAsync();
        }
    }

    private async Task SetDisabledAsync(AgentSummary agent, bool disabled)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            disabled ? $"Disable {agent.DisplayName}?" : $"Enable {agent.DisplayName}?",
            disabled
                ? $"{agent.DisplayName} can no longer sign in, and is signed out everywhere within a minute. Their history stays. You can enable them again later."
                : $"{agent.DisplayName} can sign in again with their current password{(agent.Status == AgentStatus.LockedOut ? ", and the lockout is lifted" : "")}.",
            yesText: disabled ? "Disable" : "Enable",
            cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        try
        {
            await AgentService.SetDisabledAsync(agent.Id, disabled, await AuthState.ActorAsync());
            Snackbar.Add(disabled ? $"{agent.DisplayName} is disabled." : $"{agent.DisplayName} can sign in again.", Severity.Success);
        }
        catch (ArgumentException refusal)
        {
            Snackbar.Add(FieldErrors.UserMessage(refusal), Severity.Error);
        }

        await ReloadAsync();
    }
}
