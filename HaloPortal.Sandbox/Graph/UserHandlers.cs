using System.Text.Json.Nodes;

namespace HaloPortal.Sandbox.Graph;

internal static class UserHandlers
{
    public static Task<GraphResult> GetUser(GraphCall call)
    {
        var user = call.RequiredMailbox;
        var json = new JsonObject
        {
            ["@odata.context"] = Paging.Context(call.Request, "users/$entity"),
            ["businessPhones"] = new JsonArray(),
            ["displayName"] = user.DisplayName,
            ["givenName"] = user.DisplayName.Split(' ')[0],
            ["jobTitle"] = null,
            ["mail"] = user.MailboxType == SandboxMailboxType.None ? null : user.UserPrincipalName,
            ["mobilePhone"] = null,
            ["officeLocation"] = null,
            ["preferredLanguage"] = "en-US",
            ["surname"] = user.DisplayName.Contains(' ') ? user.DisplayName[(user.DisplayName.IndexOf(' ') + 1)..] : null,
            ["userPrincipalName"] = user.UserPrincipalName,
            ["id"] = user.Id.ToString(),
        };
        var select = MessageJson.Select(call.Request);
        if (select is not null)
        {
            foreach (var name in json.Select(p => p.Key).ToList())
            {
                if (name != "@odata.context" && name != "id" && !select.Contains(name))
                {
                    json.Remove(name);
                }
            }
        }

        return Task.FromResult(GraphResult.Ok(json));
    }

    /// <summary>Includes <c>userPurpose</c> (user, shared, room, equipment), how clients tell a shared mailbox from a licensed one.</summary>
    public static Task<GraphResult> GetMailboxSettings(GraphCall call)
    {
        var user = call.RequiredMailbox;
        var purpose = user.MailboxType switch
        {
            SandboxMailboxType.Shared => "shared",
            SandboxMailboxType.Room => "room",
            SandboxMailboxType.Equipment => "equipment",
            _ => "user",
        };
        return Task.FromResult(GraphResult.Ok(new JsonObject
        {
            ["@odata.context"] = Paging.Context(call.Request, $"users('{user.Id}')/mailboxSettings"),
            ["archiveFolder"] = null,
            ["timeZone"] = "UTC",
            ["dateFormat"] = "yyyy-MM-dd",
            ["timeFormat"] = "HH:mm",
            ["userPurpose"] = purpose,
            ["delegateMeetingMessageDeliveryOptions"] = "sendToDelegateOnly",
            ["language"] = new JsonObject { ["locale"] = "en-US", ["displayName"] = "English (United States)" },
        }));
    }
}
