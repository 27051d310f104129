using System.Text.Json.Nodes;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Mail;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Sandbox.Graph;

internal static class FolderHandlers
{
    public static async Task<GraphResult> ListTop(GraphCall call)
    {
        await using var db = await Db(call);
        var root = await MailStore.FindFolderAsync(db, call.RequiredMailbox.Id, "msgfolderroot", call.Aborted) ?? throw GraphRequestException.ItemNotFound();
        return await ListAsync(call, db, root.Id);
    }

    public static async Task<GraphResult> ListChildren(GraphCall call)
    {
        await using var db = await Db(call);
        var parent = await MailStore.FindFolderAsync(db, call.RequiredMailbox.Id, call["folder"], call.Aborted) ?? throw GraphRequestException.ItemNotFound();
        return await ListAsync(call, db, parent.Id);
    }

    public static async Task<GraphResult> Get(GraphCall call)
    {
        await using var db = await Db(call);
        var folder = await MailStore.FindFolderAsync(db, call.RequiredMailbox.Id, call["folder"], call.Aborted) ?? throw GraphRequestException.ItemNotFound();
        var json = await RenderAsync(db, folder, call.Aborted);
        json.Insert(0, "@odata.context", Paging.Context(call.Request, $"{call.UserSegment}/mailFolders/$entity"));
        return GraphResult.Ok(json);
    }

    public static Task<GraphResult> CreateTop(GraphCall call) => CreateAsync(call, null);

    public static Task<GraphResult> CreateChild(GraphCall call) => CreateAsync(call, call["folder"]);

    private static async Task<GraphResult> CreateAsync(GraphCall call, string? parent)
    {
        var body = call.Request.JsonBody();
        var name = body["displayName"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new GraphRequestException(400, "ErrorInvalidParameter", "The value of the parameter 'DisplayName' is empty.");
        }

        var store = call.Services.GetRequiredService<MailStore>();
        var folder = await store.CreateFolderAsync(call.RequiredMailbox.Id, parent, name.Trim(), call.Aborted);
        var json = MessageJson.Folder(folder, 0, 0, 0);
        json.Insert(0, "@odata.context", Paging.Context(call.Request, $"{call.UserSegment}/mailFolders/$entity"));
        return GraphResult.Created(json);
    }

    private static async Task<GraphResult> ListAsync(GraphCall call, SandboxDbContext db, string parentId)
    {
        var top = Paging.Top(call.Request);
        var skip = Paging.Skip(call.Request);
        var folders = await db.Folders.AsNoTracking()
            .Where(f => f.MailboxId == call.RequiredMailbox.Id && f.ParentId == parentId)
            .OrderBy(f => f.CreatedAt).ThenBy(f => f.DisplayName).ToListAsync(call.Aborted);
        var page = folders.Skip(skip).Take(top).ToList();
        var value = new JsonArray();
        foreach (var folder in page)
        {
            value.Add(await RenderAsync(db, folder, call.Aborted));
        }

        var json = new JsonObject
        {
            ["@odata.context"] = Paging.Context(call.Request, $"{call.UserSegment}/mailFolders"),
            ["value"] = value,
        };
        if (skip + top < folders.Count)
        {
            json["@odata.nextLink"] = Paging.Link(call.Request, new Dictionary<string, string?> { ["$skip"] = (skip + top).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        return GraphResult.Ok(json);
    }

    private static async Task<JsonObject> RenderAsync(SandboxDbContext db, SbFolder folder, CancellationToken ct)
    {
        var children = await db.Folders.CountAsync(f => f.ParentId == folder.Id, ct);
        var total = await db.Messages.CountAsync(m => m.FolderId == folder.Id, ct);
        var unread = await db.Messages.CountAsync(m => m.FolderId == folder.Id && !m.IsRead, ct);
        return MessageJson.Folder(folder, children, unread, total);
    }

    private static async Task<SandboxDbContext> Db(GraphCall call) =>
        await call.Services.GetRequiredService<IDbContextFactory<SandboxDbContext>>().CreateDbContextAsync(call.Aborted);
}
