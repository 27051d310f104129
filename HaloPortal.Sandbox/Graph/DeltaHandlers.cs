using System.Globalization;
using System.Text.Json.Nodes;
using HaloPortal.Sandbox.Control;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Mail;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace HaloPortal.Sandbox.Graph;

/// <summary>
/// Delta queries over a folder's messages and over contacts. A round covers the change sequence (after, upTo]; pages follow
/// <c>@odata.nextLink</c> (<c>$skiptoken</c>) and the last one gives <c>@odata.deltaLink</c> (<c>$deltatoken</c> = upTo).
/// Items moved out or deleted since the last round come back with <c>@removed</c>.
/// </summary>
internal static class DeltaHandlers
{
    public static Task<GraphResult> AllMessagesDelta(GraphCall call) =>
        throw GraphRequestException.BadRequest("Change tracking is not supported against 'microsoft.graph.message'. Use a folder's messages/delta.");

    public static async Task<GraphResult> MessagesDelta(GraphCall call)
    {
        var request = call.Request;
        await using var db = await MessageHandlers.Db(call);
        var mailboxId = call.RequiredMailbox.Id;
        var folder = await MailStore.FindFolderAsync(db, mailboxId, call["folder"], call.Aborted) ?? throw GraphRequestException.ItemNotFound();
        await ExpireAsync(call);
        var (after, upTo, last) = await RoundAsync(db, request, call.Aborted);
        var pageSize = Paging.MaxPageSize(request, 10);
        var filter = ODataFilter.Parse(request.QueryValue("$filter"));
        var select = MessageJson.Select(request);

        var messages = (await db.Messages.AsNoTracking()
                .Where(m => m.MailboxId == mailboxId && m.FolderId == folder.Id && m.ChangeSeq > last && m.ChangeSeq <= upTo)
                .OrderBy(m => m.ChangeSeq).Take(pageSize + 1).ToListAsync(call.Aborted))
            .Select(m => (m.ChangeSeq, Message: (SbMessage?)m, Removed: (string?)null));
        var removed = after == 0
            ? []
            : (await db.Tombstones.AsNoTracking()
                .Where(t => t.MailboxId == mailboxId && t.ContainerId == folder.Id && t.ChangeSeq > last && t.ChangeSeq <= upTo)
                .OrderBy(t => t.ChangeSeq).Take(pageSize + 1).ToListAsync(call.Aborted))
            .Select(t => (t.ChangeSeq, Message: (SbMessage?)null, Removed: (string?)t.ItemId));
        var items = messages.Concat(removed).OrderBy(i => i.ChangeSeq).ToList();
        var page = items.Take(pageSize).ToList();
        var contents = await MessageHandlers.ContentsAsync(db, page.Where(i => i.Message is not null).Select(i => i.Message!.Id).ToList(), select, call.Aborted);
        var preferText = MessageJson.PrefersText(request);
        var value = new JsonArray();
        foreach (var item in page.Where(i => i.Message is null || filter(i.Message)))
        {
            value.Add(item.Message is { } m
                ? MessageJson.Message(m, contents.GetValueOrDefault(m.Id), preferText, select, mailboxId.ToString())
                : Removed("#microsoft.graph.message", item.Removed!));
        }

        var json = new JsonObject
        {
            ["@odata.context"] = Paging.Context(request, "Collection(message)"),
            ["value"] = value,
        };
        AddLink(json, request, items.Count > pageSize, after, upTo, page.Count > 0 ? page[^1].ChangeSeq : last);
        return GraphResult.Ok(json);
    }

    public static async Task<GraphResult> ContactsDelta(GraphCall call)
    {
        var request = call.Request;
        await using var db = await MessageHandlers.Db(call);
        var mailboxId = call.RequiredMailbox.Id;
        await ExpireAsync(call);
        var (after, upTo, last) = await RoundAsync(db, request, call.Aborted);
        var pageSize = Paging.MaxPageSize(request, 10);
        var contacts = (await db.Contacts.AsNoTracking()
                .Where(c => c.MailboxId == mailboxId && c.ChangeSeq > last && c.ChangeSeq <= upTo)
                .OrderBy(c => c.ChangeSeq).Take(pageSize + 1).ToListAsync(call.Aborted))
            .Select(c => (c.ChangeSeq, Contact: (SbContact?)c, Removed: (string?)null));
        var removed = after == 0
            ? []
            : (await db.Tombstones.AsNoTracking()
                .Where(t => t.MailboxId == mailboxId && t.ContainerId == SbTombstone.ContactsContainer && t.ChangeSeq > last && t.ChangeSeq <= upTo)
                .OrderBy(t => t.ChangeSeq).Take(pageSize + 1).ToListAsync(call.Aborted))
            .Select(t => (t.ChangeSeq, Contact: (SbContact?)null, Removed: (string?)t.ItemId));
        var items = contacts.Concat(removed).OrderBy(i => i.ChangeSeq).ToList();
        var page = items.Take(pageSize).ToList();
        var select = MessageJson.Select(request);
        var value = new JsonArray();
        foreach (var item in page)
        {
            value.Add(item.Contact is { } c ? ContactHandlers.Render(c, select) : Removed("#microsoft.graph.contact", item.Removed!));
        }

        var json = new JsonObject
        {
            ["@odata.context"] = Paging.Context(request, "Collection(contact)"),
            ["value"] = value,
        };
        AddLink(json, request, items.Count > pageSize, after, upTo, page.Count > 0 ? page[^1].ChangeSeq : last);
        return GraphResult.Ok(json);
    }

    /// <summary>An injected <see cref="SandboxFaultKind.ExpireDeltaTokens"/> fault refuses a delta link as Graph does once the sync state is gone.</summary>
    private static async Task ExpireAsync(GraphCall call)
    {
        if (call.Request.QueryValue("$deltatoken") is null)
        {
            return;
        }

        var faults = call.Services.GetRequiredService<FaultRegistry>();
        if (await faults.TakeAsync(call.RequiredMailbox.UserPrincipalName, [SandboxFaultKind.ExpireDeltaTokens], call.Aborted) is not null)
        {
            throw new GraphRequestException(410, "SyncStateNotFound", "The sync state generation is not found or has expired. Restart the sync without a delta token.");
        }
    }

    private static JsonObject Removed(string type, string id) => new()
    {
        ["@odata.type"] = type,
        ["id"] = id,
        ["@removed"] = new JsonObject { ["reason"] = "deleted" },
    };

    private static void AddLink(JsonObject json, GraphRequest request, bool more, long after, long upTo, long last)
    {
        if (more)
        {
            json["@odata.nextLink"] = Paging.Link(request, new Dictionary<string, string?>
            {
                ["$skiptoken"] = Token($"{after}.{upTo}.{last}"),
                ["$deltatoken"] = null,
            });
        }
        else
        {
            json["@odata.deltaLink"] = Paging.Link(request, new Dictionary<string, string?>
            {
                ["$deltatoken"] = Token(upTo.ToString(CultureInfo.InvariantCulture)),
                ["$skiptoken"] = null,
            });
        }
    }

    /// <summary>(after, upTo, last returned): a new round starts at the delta token (or 0) and runs to the current sequence.</summary>
    private static async Task<(long After, long UpTo, long Last)> RoundAsync(SandboxDbContext db, GraphRequest request, CancellationToken ct)
    {
        if (request.QueryValue("$skiptoken") is { } skipToken)
        {
            var parts = Untoken(skipToken).Split('.');
            if (parts.Length == 3 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var a)
                && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var u) && long.TryParse(parts[2], CultureInfo.InvariantCulture, out var l))
            {
                return (a, u, l);
            }

            throw InvalidToken();
        }

        var current = await db.Counters.Where(c => c.Name == "change").Select(c => c.Value).SingleOrDefaultAsync(ct);
        if (request.QueryValue("$deltatoken") is { } deltaToken)
        {
            return long.TryParse(Untoken(deltaToken), CultureInfo.InvariantCulture, out var after) && after <= current
                ? (after, current, after)
                : throw InvalidToken();
        }

        return (0, current, 0);
    }

    private static string Token(string value) => Base64UrlEncoder.Encode(value);

    private static string Untoken(string token)
    {
        try
        {
            return Base64UrlEncoder.Decode(token);
        }
        catch (FormatException)
        {
            throw InvalidToken();
        }
    }

    private static GraphRequestException InvalidToken() =>
        new(400, "SyncStateInvalid", "The sync state (delta or skip token) is invalid or has expired. Start a new delta query without a token.");
}
