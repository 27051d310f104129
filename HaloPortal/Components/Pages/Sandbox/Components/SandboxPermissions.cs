namespace HaloPortal.Components.Pages.Sandbox.Components;

/// <summary>The Microsoft Graph permissions the New application dialog offers (those HaloPortal's flows use).</summary>
public static class SandboxPermissions
{
    public static readonly IReadOnlyList<string> Application = ["Mail.ReadWrite", "Mail.Send", "Contacts.Read", "User.Read.All"];

    public static readonly IReadOnlyList<string> Delegated =
        ["User.Read", "Mail.ReadWrite", "Mail.Send", "Contacts.Read", "Mail.ReadWrite.Shared", "Mail.Send.Shared", "Contacts.Read.Shared", "offline_access"];

    /// <summary>A string safe for a data-testid (dots become dashes, lower case).</summary>
    public static string TestKey(string permission) => permission.Replace('.', '-').Replace('_', '-').ToLowerInvariant();
}
