using System.Globalization;
using System.Text.Json.Nodes;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Mail;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Sandbox.Graph;

internal static class ContactHandlers
{
    public static async Task<GraphResult> List(GraphCall call)
    {
        var top = Paging.Top(call.Request);
        var skip = Paging.Skip(call.Request);
        var select = MessageJson.Select(call.Request);
        await using var db = await MessageHandlers.Db(call);
        var all = db.Contacts.AsNoTracking().Where(c => c.MailboxId == call.RequiredMailbox.Id);
        var total = await all.CountAsync(call.Aborted);
        var page = await all.OrderBy(c => c.ChangeSeq).Skip(skip).Take(top).ToListAsync(call.Aborted);
        var json = new JsonObject
        {
            ["@odata.context"] = Paging.Context(call.Request, $"{call.UserSegment}/contacts"),
            ["value"] = new JsonArray(page.Select(c => (JsonNode?)Render(c, select)).ToArray()),
        };
        if (string.Equals(call.Request.QueryValue("$count"), "true", StringComparison.OrdinalIgnoreCase))
        {
            // Graph answers $count=true on Outlook contacts with the collection's size on every page.
            json.Insert(1, "@odata.count", total);
        }
        if (skip + top < total)
        {
            json["@odata.nextLink"] = Paging.Link(call.Request, new Dictionary<string, string?> { ["$skip"] = (skip + top).ToString(CultureInfo.InvariantCulture) });
        }

        return GraphResult.Ok(json);
    }

    public static async Task<GraphResult> Get(GraphCall call)
    {
        await using var db = await MessageHandlers.Db(call);
        var id = call["contact"];
        var contact = await db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.MailboxId == call.RequiredMailbox.Id && c.Id == id, call.Aborted)
                      ?? throw GraphRequestException.ItemNotFound();
        var json = Render(contact, MessageJson.Select(call.Request));
        json.Insert(0, "@odata.context", Paging.Context(call.Request, $"{call.UserSegment}/contacts/$entity"));
        return GraphResult.Ok(json);
    }

    public static async Task<GraphResult> Delete(GraphCall call)
    {
        await call.Services.GetRequiredService<MailStore>().DeleteContactAsync(call.RequiredMailbox.Id, call["contact"], call.Aborted);
        return GraphResult.NoContent;
    }

    public static JsonObject Render(SbContact contact, ISet<string>? select)
    {
        var stored = JsonNode.Parse(contact.Json)!.AsObject();
        var json = new JsonObject
        {
            ["@odata.etag"] = SandboxIds.ETag(contact.ChangeSeq),
            ["id"] = contact.Id,
            ["createdDateTime"] = MessageJson.Time(contact.CreatedAt),
            ["lastModifiedDateTime"] = MessageJson.Time(contact.LastModifiedAt),
            ["changeKey"] = SandboxIds.ChangeKey(contact.ChangeSeq),
            ["categories"] = new JsonArray(),
            ["displayName"] = contact.DisplayName,
        };
        foreach (var (name, value) in stored)
        {
            json[name] = value?.DeepClone();
        }

        json["emailAddresses"] ??= new JsonArray();
        json["businessPhones"] ??= new JsonArray();
        if (select is not null)
        {
            foreach (var name in json.Select(p => p.Key).ToList())
            {
                if (name is not ("@odata.etag" or "id") && !select.Contains(name))
                {
                    json.Remove(name);
                }
            }
        }

        return json;
    }
}
