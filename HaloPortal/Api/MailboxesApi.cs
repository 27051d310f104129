using HaloPortal.Engine.Connections;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Errors;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Outbound;
using HaloPortal.Engine.Portal;
using HaloPortal.Hosting;

namespace HaloPortal.Api;

/// <summary>Mailboxes, their credentials, and the outgoing defaults (Configuration &gt; Email).</summary>
internal static class MailboxesApi
{
    public static void MapMailboxesApi(this RouteGroupBuilder api)
    {
        var mailboxes = api.MapGroup("/mailboxes").RequireAuthorization(PortalPolicies.Administrator).WithTags("Mailboxes");

        mailboxes.MapGet("", async (IMailboxes service, CancellationToken ct) =>
        {
            var items = (await service.ListAsync(ct)).Select(MailboxListItem.From).ToList();
            return TypedResults.Ok(new ListResult<MailboxListItem>(items, items.Count));
        }).WithName("ListMailboxes");

        mailboxes.MapPost("", async (CreateMailboxBody body, IMailboxes service, ICurrentActor actor, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(body.Name ?? "", body.ConnectionType ?? MailboxConnectionType.Office365Azure, actor.Get(), ct);
            return TypedResults.Created($"/api/v1/mailboxes/{created.Id}", MailboxDto.From(created));
        }).WithName("CreateMailbox");

        mailboxes.MapGet("/{id:int}", async Task<IResult> (int id, IMailboxes service, CancellationToken ct) =>
            await service.GetAsync(id, ct) is { } m ? TypedResults.Ok(MailboxDto.From(m)) : NotFound($"Mailbox {id} does not exist."))
            .WithName("GetMailbox");

        mailboxes.MapPut("/{id:int}", async (int id, CreateMailboxBody body, IMailboxes service, ICurrentActor actor, CancellationToken ct) =>
            TypedResults.Ok(MailboxDto.From(await service.RenameAsync(id, body.Name ?? "", actor.Get(), ct))))
            .WithName("UpdateMailbox");

        mailboxes.MapDelete("/{id:int}", async Task<IResult> (int id, IMailboxes service, ICurrentActor actor, CancellationToken ct) =>
            await service.DeleteAsync(id, actor.Get(), ct) ? TypedResults.NoContent() : NotFound($"Mailbox {id} does not exist."))
            .WithName("DeleteMailbox");

        mailboxes.MapPost("/{id:int}/credentials", async (int id, CredentialBody body, ICredentials service, ICurrentActor actor, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(id, body.ToInput(), actor.Get(), ct);
            return TypedResults.Created($"/api/v1/credentials/{created.Id}", created);
        }).WithName("CreateCredential").WithSummary("Secrets are write-only: they are never returned.");

        var credentials = api.MapGroup("/credentials").RequireAuthorization(PortalPolicies.Administrator).WithTags("Credentials");

        credentials.MapGet("/{id:int}", async Task<IResult> (int id, ICredentials service, CancellationToken ct) =>
            await service.GetAsync(id, ct) is { } c ? TypedResults.Ok(c) : NotFound($"Credential {id} does not exist."))
            .WithName("GetCredential");

        credentials.MapPut("/{id:int}", async (int id, CredentialBody body, ICredentials service, ICurrentActor actor, CancellationToken ct) =>
            TypedResults.Ok(await service.UpdateAsync(id, body.ToInput(), actor.Get(), ct)))
            .WithName("UpdateCredential").WithSummary("Omit clientSecret / certificate to keep the stored ones.");

        credentials.MapDelete("/{id:int}", async Task<IResult> (int id, ICredentials service, ICurrentActor actor, CancellationToken ct) =>
            await service.DeleteAsync(id, actor.Get(), ct) ? TypedResults.NoContent() : NotFound($"Credential {id} does not exist."))
            .WithName("DeleteCredential");

        credentials.MapPost("/{id:int}/test", async (int id, ICredentialConnections connections, CancellationToken ct) =>
        {
            var result = await connections.TestAsync(id, ct);
            return TypedResults.Ok(new TestResultDto(result.Ok, result.Address, result.DisplayName, result.InboxItems, result.Steps,
                ErrorDto.From(result.Error)));
        }).WithName("TestCredential");

        credentials.MapPost("/{id:int}/disconnect", async (int id, ICredentialConnections connections, ICurrentActor actor, CancellationToken ct) =>
        {
            await connections.DisconnectAsync(id, actor.Get(), ct);
            return TypedResults.NoContent();
        }).WithName("DisconnectCredential");

        var settings = api.MapGroup("/email-settings").RequireAuthorization(PortalPolicies.Administrator).WithTags("Email settings");
        settings.MapGet("", async (IEmailSettings service, CancellationToken ct) => TypedResults.Ok(await service.GetAsync(ct)))
            .WithName("GetEmailSettings");
        settings.MapPut("", async (EmailSettingsBody body, IEmailSettings service, ICurrentActor actor, CancellationToken ct) =>
            TypedResults.Ok(await service.SetDefaultOutgoingMailboxAsync(body.DefaultOutgoingMailboxId, actor.Get(), ct)))
            .WithName("UpdateEmailSettings");
    }

    private static IResult NotFound(string detail) => TypedResults.Problem(title: "Not found", detail: detail, statusCode: StatusCodes.Status404NotFound);

    internal sealed record ListResult<T>(IReadOnlyList<T> Items, int Total);

    internal sealed record CreateMailboxBody(string? Name, MailboxConnectionType? ConnectionType);

    internal sealed record EmailSettingsBody(int? DefaultOutgoingMailboxId);

    /// <summary><c>connection</c> is the one status the portal's screens show (Connected, NeedsAttention, NotTested, Disconnected); <c>status</c> is kept for older scripts.</summary>
    internal sealed record MailboxListItem(int Id, string Name, MailboxConnectionType ConnectionType, bool IncomingEnabled, int CredentialCount, CredentialStatus? Status, string? ConnectedAddress, DateTimeOffset CreatedAt,
        ConnectionState? Connection, string? LastErrorCode)
    {
        public static MailboxListItem From(MailboxSummary m) =>
            new(m.Id, m.Name, m.ConnectionType, m.IncomingEnabled, m.CredentialCount, m.ThisInstance?.Status, m.ThisInstance?.ConnectedAddress, m.CreatedAt,
                m.ThisInstance?.Connection, m.ThisInstance?.LastError?.Code);
    }

    internal sealed record MailboxDto(int Id, string Name, MailboxConnectionType ConnectionType, bool IncomingEnabled, DateTimeOffset CreatedAt, IReadOnlyList<CredentialView> Credentials)
    {
        public static MailboxDto From(MailboxDetails m) => new(m.Id, m.Name, m.ConnectionType, m.IncomingEnabled, m.CreatedAt, m.Credentials);
    }

    internal sealed record ErrorDto(string Code, string Title, string Message, string Fix)
    {
        public static ErrorDto? From(KnownError? error) => error is null ? null : new(error.Code, error.Title, error.Message, error.Fix);
    }

    internal sealed record TestResultDto(bool Ok, string? Address, string? DisplayName, int? InboxItems, IReadOnlyList<string> Steps, ErrorDto? Error);

    /// <summary>The credential fields of API.md; <c>certificate</c> is base64 (PFX or PEM).</summary>
    internal sealed record CredentialBody(
        PortalInstance? Instance,
        AuthMethod? AuthMethod,
        CredentialType? CredentialType,
        ProcessingMethod? ProcessingMethod,
        GraphAuthority? Authority,
        string? TenantId,
        string? ClientId,
        string? ClientSecret,
        DateTimeOffset? SecretExpiresAt,
        string? Certificate,
        string? CertificatePassword,
        string? FederatedTokenFile,
        string? EmailAddress,
        string? SharedMailbox,
        bool? UsesRbacForApplications,
        bool? ImportContacts)
    {
        public CredentialInput ToInput()
        {
            byte[]? certificate = null;
            if (!string.IsNullOrWhiteSpace(Certificate))
            {
                try
                {
                    certificate = Convert.FromBase64String(Certificate);
                }
                catch (FormatException)
                {
                    throw new ArgumentException("Send the certificate file's bytes as base64.", "certificate");
                }
            }

            return new CredentialInput
            {
                Instance = Instance ?? PortalInstance.Production,
                AuthMethod = AuthMethod ?? Engine.Credentials.AuthMethod.ClientCredentials,
                CredentialType = CredentialType ?? Engine.Credentials.CredentialType.ClientSecret,
                ProcessingMethod = ProcessingMethod ?? Engine.Credentials.ProcessingMethod.Webhooks,
                Authority = Authority ?? GraphAuthority.Global,
                TenantId = TenantId,
                ClientId = ClientId,
                ClientSecret = ClientSecret,
                SecretExpiresAt = SecretExpiresAt,
                Certificate = certificate,
                CertificatePassword = CertificatePassword,
                FederatedTokenFile = FederatedTokenFile,
                EmailAddress = EmailAddress,
                SharedMailbox = SharedMailbox,
                UsesRbacForApplications = UsesRbacForApplications ?? false,
                ImportContacts = ImportContacts ?? false,
            };
        }
    }
}
