using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HaloPortal.Sandbox.Data;
using HaloPortal.Sandbox.Identity;
using HaloPortal.Sandbox.Mail;
using HaloPortal.Sandbox.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HaloPortal.Sandbox.Graph;

/// <summary>
/// <c>/subscriptions</c> for Outlook messages: creation validates the notification (and lifecycle) URL with the handshake,
/// caps the expiry at the configured maximum and raises anything under 45 minutes to 45; PATCH renews, DELETE removes.
/// </summary>
internal static partial class SubscriptionHandlers
{
    private static readonly string[] ChangeTypes = ["created", "updated", "deleted"];

    public static async Task<GraphResult> Create(GraphCall call)
    {
        var body = call.Request.JsonBody();
        var changeType = Required(body, "changeType");
        var notificationUrl = Required(body, "notificationUrl");
        var resource = Required(body, "resource");
        var expirationText = body["expirationDateTime"]?.GetValue<string>()
            ?? throw new GraphRequestException(400, "InvalidRequest", "expirationDateTime is a required property for subscription creation.");
        var lifecycleUrl = body["lifecycleNotificationUrl"]?.GetValue<string>();
        foreach (var type in changeType.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!ChangeTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
            {
                throw new GraphRequestException(400, "InvalidRequest", $"Invalid 'changeType' attribute: '{type}'.");
            }
        }

        var match = MessagesResource().Match(resource);
        if (!match.Success)
        {
            throw new GraphRequestException(400, "InvalidRequest", $"Subscription operation on resource '{resource}' is not supported. Subscribe to a mailbox's messages or a folder's messages.");
        }

        var caller = call.Caller;
        var userKey = match.Groups["user"].Success ? match.Groups["user"].Value : null;
        if (userKey is null && caller.UserId is null)
        {
            throw Extension(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
        }

        userKey ??= caller.UserId.ToString()!;
        await using var db = await MessageHandlers.Db(call);
        var mailbox = await db.FindUserAsync(caller.TenantId, userKey, call.Aborted)
                      ?? throw Extension(404, "NotFound", $"The requested user '{userKey}' is invalid.");
        try
        {
            await call.Services.GetRequiredService<GraphPipeline>().AuthorizeAsync(caller, mailbox, GraphAccess.MailRead, call.Aborted);
        }
        catch (GraphRequestException ex)
        {
            throw Extension(ex.Status, ex.Status == 404 ? "NotFound" : "Forbidden", ex.Message);
        }

        string? folderId = null;
        if (match.Groups["folder"].Success)
        {
            var folder = await MailStore.FindFolderAsync(db, mailbox.Id, match.Groups["folder"].Value, call.Aborted)
                         ?? throw Extension(404, "NotFound", "The specified object was not found in the store.");
            folderId = folder.Id;
        }

        var expiresAt = Expiration(call, expirationText, "Create");
        var validator = call.Services.GetRequiredService<SubscriptionValidator>();
        await validator.ValidateAsync(notificationUrl, call.Aborted);
        if (!string.IsNullOrEmpty(lifecycleUrl))
        {
            await validator.ValidateAsync(lifecycleUrl, call.Aborted);
        }

        var subscription = new SbSubscription
        {
            Id = Guid.NewGuid(),
            TenantId = caller.TenantId,
            AppId = caller.AppId,
            CreatorId = caller.UserId ?? await ServicePrincipalAsync(db, caller, call.Aborted),
            Resource = resource,
            ChangeType = string.Join(',', changeType.Split(',', StringSplitOptions.TrimEntries).Select(t => t.ToLowerInvariant())),
            NotificationUrl = notificationUrl,
            LifecycleNotificationUrl = string.IsNullOrEmpty(lifecycleUrl) ? null : lifecycleUrl,
            ClientState = body["clientState"]?.GetValue<string>(),
            LatestSupportedTlsVersion = body["latestSupportedTlsVersion"]?.GetValue<string>() ?? "v1_2",
            ExpiresAt = expiresAt,
            MailboxId = mailbox.Id,
            FolderId = folderId,
            CreatedAt = Now(call),
        };
        db.Subscriptions.Add(subscription);
        await db.SaveChangesAsync(call.Aborted);
        call.Services.GetRequiredService<ChangeNotifier>().SubscriptionsChanged();
        return GraphResult.Created(Render(call.Request, subscription, entity: true));
    }

    public static async Task<GraphResult> List(GraphCall call)
    {
        await using var db = await MessageHandlers.Db(call);
        var now = Now(call);
        var subscriptions = await db.Subscriptions.AsNoTracking()
            .Where(s => s.TenantId == call.Caller.TenantId && s.AppId == call.Caller.AppId && s.ExpiresAt > now)
            .OrderBy(s => s.CreatedAt).ToListAsync(call.Aborted);
        return GraphResult.Ok(new JsonObject
        {
            ["@odata.context"] = Paging.Context(call.Request, "subscriptions"),
            ["value"] = new JsonArray(subscriptions.Select(s => (JsonNode?)Render(call.Request, s, entity: false)).ToArray()),
        });
    }

    public static async Task<GraphResult> Get(GraphCall call)
    {
        await using var db = await MessageHandlers.Db(call);
        return GraphResult.Ok(Render(call.Request, await FindAsync(db, call), entity: true));
    }

    public static async Task<GraphResult> Renew(GraphCall call)
    {
        var body = call.Request.JsonBody();
        await using var db = await MessageHandlers.Db(call);
        var subscription = await FindAsync(db, call);
        if (body["expirationDateTime"]?.GetValue<string>() is { } text)
        {
            subscription.ExpiresAt = Expiration(call, text, "Update");
        }

        if (body["notificationUrl"]?.GetValue<string>() is { } url && url != subscription.NotificationUrl)
        {
            await call.Services.GetRequiredService<SubscriptionValidator>().ValidateAsync(url, call.Aborted);
            subscription.NotificationUrl = url;
        }

        await db.SaveChangesAsync(call.Aborted);
        call.Services.GetRequiredService<ChangeNotifier>().SubscriptionsChanged();
        return GraphResult.Ok(Render(call.Request, subscription, entity: true));
    }

    public static async Task<GraphResult> Delete(GraphCall call)
    {
        await using var db = await MessageHandlers.Db(call);
        var subscription = await FindAsync(db, call);
        db.Subscriptions.Remove(subscription);
        await db.SaveChangesAsync(call.Aborted);
        call.Services.GetRequiredService<ChangeNotifier>().SubscriptionsChanged();
        return GraphResult.NoContent;
    }

    public static async Task<GraphResult> Reauthorize(GraphCall call)
    {
        await using var db = await MessageHandlers.Db(call);
        await FindAsync(db, call);
        return GraphResult.NoContent;
    }

    internal static JsonObject Render(GraphRequest request, SbSubscription s, bool entity)
    {
        var json = new JsonObject();
        if (entity)
        {
            json["@odata.context"] = Paging.Context(request, "subscriptions/$entity");
        }

        json["id"] = s.Id.ToString();
        json["resource"] = s.Resource;
        json["applicationId"] = s.AppId.ToString();
        json["changeType"] = s.ChangeType;
        json["clientState"] = s.ClientState;
        json["notificationUrl"] = s.NotificationUrl;
        json["notificationQueryOptions"] = null;
        json["lifecycleNotificationUrl"] = s.LifecycleNotificationUrl;
        json["expirationDateTime"] = ChangeNotifier.GraphTime(s.ExpiresAt);
        json["creatorId"] = s.CreatorId.ToString();
        json["includeResourceData"] = null;
        json["latestSupportedTlsVersion"] = s.LatestSupportedTlsVersion;
        json["encryptionCertificate"] = null;
        json["encryptionCertificateId"] = null;
        json["notificationUrlAppId"] = null;
        return json;
    }

    private static async Task<SbSubscription> FindAsync(SandboxDbContext db, GraphCall call)
    {
        var now = Now(call);
        if (!Guid.TryParse(call["subscription"], out var id)
            || await db.Subscriptions.SingleOrDefaultAsync(s => s.Id == id && s.TenantId == call.Caller.TenantId && s.AppId == call.Caller.AppId, call.Aborted) is not { } subscription
            || subscription.ExpiresAt <= now)
        {
            throw new GraphRequestException(404, "ResourceNotFound", $"The object was not found. Subscription '{call["subscription"]}' does not exist or has expired.");
        }

        return subscription;
    }

    private static DateTimeOffset Expiration(GraphCall call, string text, string operation)
    {
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var requested))
        {
            throw new GraphRequestException(400, "InvalidRequest", $"Cannot convert '{text}' to a DateTimeOffset.");
        }

        var now = Now(call);
        var max = call.Services.GetRequiredService<IOptions<SandboxOptions>>().Value.SubscriptionMaxExpirationMinutes;
        if (requested <= now)
        {
            throw Extension(400, "BadRequest", "Subscription expiration must be in the future.", operation);
        }

        // A minute of grace for the clock skew between the client that computed "now + max" and the service.
        if (requested > now.AddMinutes(max + 1))
        {
            throw new GraphRequestException(400, "ExtensionError", $"Subscription expiration can only be {max} minutes in the future.");
        }

        var minimum = now.AddMinutes(45);
        return requested < minimum ? minimum : requested;
    }

    private static async Task<Guid> ServicePrincipalAsync(SandboxDbContext db, GraphCaller caller, CancellationToken ct)
    {
        var app = await db.Applications.AsNoTracking().SingleAsync(a => a.TenantId == caller.TenantId && a.AppId == caller.AppId, ct);
        return TokenIssuer.ServicePrincipalId(app);
    }

    private static DateTimeOffset Now(GraphCall call) => call.Services.GetRequiredService<TimeProvider>().GetUtcNow();

    private static string Required(JsonObject body, string name) =>
        body[name]?.GetValue<string>() is { Length: > 0 } value
            ? value
            : throw new GraphRequestException(400, "InvalidRequest", $"{name} is a required property for subscription creation.");

    private static GraphRequestException Extension(int status, string reason, string message, string operation = "Create") =>
        new(status, "ExtensionError", $"Operation: {operation}; Exception: [Status Code: {reason}; Reason: {message}]");

    [GeneratedRegex(@"^/?(?:me|users(?:/|\(')(?<user>[^/']+)(?:'\))?)(?:/mailFolders(?:/|\(')(?<folder>[^/']+)(?:'\))?)?/messages/?$", RegexOptions.IgnoreCase)]
    private static partial Regex MessagesResource();
}
