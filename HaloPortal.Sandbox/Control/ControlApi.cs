using System.Text.Json;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace HaloPortal.Sandbox.Control;

/// <summary><c>/sandbox/api</c>: set up tenants, apps and mailboxes, deliver mail, inject faults. Administrator API keys only.</summary>
internal static class ControlApi
{
    public static void MapSandboxControl(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup(SandboxHosts.ControlPathPrefix)
            .RequireAuthorization(p => p.AddAuthenticationSchemes(PortalPolicies.ApiKeyScheme).RequireRole(PortalRoles.Administrator))
            .AddEndpointFilter<ControlProblemFilter>()
            .WithTags("Sandbox");

        api.MapGet("/tenants", async (ISandboxControl control, CancellationToken ct) => Results.Ok(new { items = await control.ListTenantsAsync(ct) }))
            .WithSummary("The sandbox tenants.");
        api.MapPost("/tenants", async (TenantBody body, ISandboxControl control, CancellationToken ct) =>
        {
            var tenant = await control.CreateTenantAsync(body.DisplayName ?? "", body.DefaultDomain ?? "", ct);
            return Results.Created($"{SandboxHosts.ControlPathPrefix}/tenants/{tenant.TenantId}", new { tenantId = tenant.TenantId, defaultDomain = tenant.DefaultDomain });
        }).WithSummary("Create a tenant (with its own signing key).");
        api.MapPut("/tenants/{tenant}/throttling", async (string tenant, ThrottlingBody body, ISandboxControl control, CancellationToken ct) =>
        {
            await control.SetThrottlingAsync(tenant, body.Enabled, ct);
            return Results.Ok(new { tenant, throttlingEnabled = body.Enabled });
        }).WithSummary("Switch Graph's per app+mailbox limits (10,000 requests / 10 min, 4 concurrent) on or off for a tenant.");

        api.MapGet("/tenants/{tenant}/users", async (string tenant, ISandboxControl control, CancellationToken ct) => Results.Ok(new { items = await control.ListUsersAsync(tenant, ct) }));
        api.MapPost("/tenants/{tenant}/users", async (string tenant, SandboxNewUser body, ISandboxControl control, CancellationToken ct) =>
        {
            var user = await control.CreateUserAsync(tenant, body, ct);
            return Results.Created($"{SandboxHosts.ControlPathPrefix}/tenants/{tenant}/users/{user.Id}", new { id = user.Id, userPrincipalName = user.UserPrincipalName });
        }).WithSummary("Create a user: a licensed mailbox with a password, or a shared mailbox with Full Access delegates.");

        api.MapGet("/tenants/{tenant}/applications", async (string tenant, ISandboxControl control, CancellationToken ct) => Results.Ok(new { items = await control.ListApplicationsAsync(tenant, ct) }));
        api.MapPost("/tenants/{tenant}/applications", async (string tenant, SandboxNewApplication body, ISandboxControl control, CancellationToken ct) =>
        {
            var app = await control.CreateApplicationAsync(tenant, body, ct);
            return Results.Created($"{SandboxHosts.ControlPathPrefix}/tenants/{tenant}/applications/{app.AppId}", new { appId = app.AppId, id = app.Id });
        }).WithSummary("Register an application (redirect URIs, application and delegated permissions, admin consent).");
        api.MapPost("/tenants/{tenant}/applications/{appId:guid}/secrets", async (string tenant, Guid appId, SecretBody? body, ISandboxControl control, CancellationToken ct) =>
        {
            var secret = await control.AddSecretAsync(tenant, appId, body?.DisplayName, body?.ExpiresAt, ct);
            return Results.Created((string?)null, new { secretId = secret.SecretId, secretValue = secret.SecretValue, expiresAt = secret.ExpiresAt });
        }).WithSummary("Add a client secret; its value is returned only here.");
        api.MapPost("/tenants/{tenant}/applications/{appId:guid}/certificates", async (string tenant, Guid appId, CertificateBody body, ISandboxControl control, CancellationToken ct) =>
            Results.Created((string?)null, new { thumbprint = await control.AddCertificateAsync(tenant, appId, body.Certificate ?? "", ct) }))
            .WithSummary("Register a certificate (base64 DER or PEM) for client assertions.");
        api.MapPost("/tenants/{tenant}/applications/{appId:guid}/federated-credentials",
                async (string tenant, Guid appId, SandboxNewFederatedCredential body, ISandboxControl control, CancellationToken ct) =>
                    Results.Created((string?)null, new { id = await control.AddFederatedCredentialAsync(tenant, appId, body, ct) }))
            .WithSummary("Trust assertions from an issuer/subject (keys from jwks, else the issuer's OpenID metadata).");
        api.MapPost("/tenants/{tenant}/access-policies", async (string tenant, AccessPolicyBody body, ISandboxControl control, CancellationToken ct) =>
        {
            await control.SetAccessPolicyAsync(tenant, body.AppId, body.AllowedMailboxes ?? [], ct);
            return Results.Created((string?)null, new { appId = body.AppId, allowedMailboxes = body.AllowedMailboxes ?? [] });
        }).WithSummary("Restrict an app to the listed mailboxes (an application access policy).");

        api.MapGet("/mailboxes", async (string? tenant, ISandboxControl control, CancellationToken ct) => Results.Ok(new { items = await control.ListMailboxesAsync(tenant, ct) }));
        api.MapPost("/mailboxes/{address}/messages", async (string address, string? folder, HttpRequest request, ISandboxControl control, CancellationToken ct) =>
        {
            var delivered = await control.DeliverMimeAsync(address, request.Body, folder, ct);
            return Results.Created((string?)null, new { id = delivered.Id, internetMessageId = delivered.InternetMessageId });
        }).Accepts<string>("message/rfc822").WithSummary("Deliver a raw RFC 822 message into a mailbox folder (inbox by default).");
        api.MapPost("/mailboxes/{address}/contacts", async (string address, JsonElement body, ISandboxControl control, CancellationToken ct) =>
            Results.Created((string?)null, new { ids = await control.AddContactsAsync(address, body, ct) }))
            .WithSummary("Add Graph contact resources (an object or an array) to a mailbox.");
        api.MapGet("/mailboxes/{address}/folders", async (string address, ISandboxControl control, CancellationToken ct) =>
            Results.Ok(new { items = await control.ListFoldersAsync(address, ct) }))
            .WithSummary("The folders of a mailbox with their message counts.");
        api.MapGet("/mailboxes/{address}/folders/{folder}/messages", async (string address, string folder, ISandboxControl control, CancellationToken ct) =>
        {
            var messages = await control.ListMessagesAsync(address, folder, ct);
            return Results.Ok(new { items = messages });
        }).WithSummary("The messages of a folder (well-known name or id), newest first.");

        api.MapGet("/subscriptions", async (ISandboxControl control, CancellationToken ct) => Results.Ok(new { items = await control.ListSubscriptionsAsync(ct) }));
        api.MapPost("/subscriptions/{id:guid}/lifecycle", async (Guid id, LifecycleBody body, ISandboxControl control, CancellationToken ct) =>
        {
            await control.TriggerLifecycleEventAsync(id, body.LifecycleEvent, ct);
            return Results.Accepted();
        }).WithSummary("Send a lifecycle notification: reauthorizationRequired, subscriptionRemoved (removes it) or missed.");

        api.MapGet("/faults", async (ISandboxControl control, CancellationToken ct) => Results.Ok(new { items = await control.ListFaultsAsync(ct) }));
        api.MapPost("/faults", async (FaultBody body, ISandboxControl control, CancellationToken ct) =>
        {
            var id = await control.AddFaultAsync(new SandboxFaultRequest(body.Mailbox, body.Kind, body.Status, body.Count, body.RetryAfterSeconds, body.DelaySeconds), ct);
            return Results.Created((string?)null, new { id });
        }).WithSummary("Make the sandbox misbehave: Throttle, FailRequests, DelayNotifications, DropNotifications or RevokeGrants.");
        api.MapDelete("/faults", async (ISandboxControl control, CancellationToken ct) =>
        {
            await control.ClearFaultsAsync(ct);
            return Results.NoContent();
        }).WithSummary("Clear every fault.");
    }

    internal sealed record TenantBody(string? DisplayName, string? DefaultDomain);

    internal sealed record ThrottlingBody(bool Enabled);

    internal sealed record SecretBody(string? DisplayName, DateTimeOffset? ExpiresAt);

    internal sealed record CertificateBody(string? Certificate);

    internal sealed record AccessPolicyBody(Guid AppId, IReadOnlyList<string>? AllowedMailboxes);

    internal sealed record LifecycleBody(SandboxLifecycleEvent LifecycleEvent);

    internal sealed record FaultBody(string? Mailbox, SandboxFaultKind Kind, int? Status, int? Count, int? RetryAfterSeconds, int? DelaySeconds);

    /// <summary>Bad input becomes a 400 problem naming the field; an unknown tenant, app or mailbox a 404 problem.</summary>
    private sealed class ControlProblemFilter : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            try
            {
                return await next(context);
            }
            catch (ArgumentException ex)
            {
                var field = string.IsNullOrEmpty(ex.ParamName) ? "request" : ex.ParamName;
                var message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, detail: message);
            }
            catch (SandboxNotFoundException ex)
            {
                return TypedResults.Problem(title: "Not found", detail: ex.Message, statusCode: StatusCodes.Status404NotFound);
            }
        }
    }
}
