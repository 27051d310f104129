using Hangfire;
using HaloPortal.Engine.Contacts;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Tickets;
using HaloPortal.Engine.EndUsers;

namespace HaloPortal.Api;

/// <summary>Users, sites and contact imports.</summary>
internal static class ContactsApi
{
    public static void MapContactsApi(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").RequireAuthorization(PortalPolicies.Agent).WithTags("Users");
        users.MapGet("", async (string? q, int? siteId, int? page, int? pageSize, IEndUsers service, CancellationToken ct) =>
        {
            var result = await service.QueryAsync(new UserQuery(q, siteId, page ?? 1, pageSize ?? 25), ct);
            return TypedResults.Ok(new ItemsPage<UserRow>(result.Items, result.Total));
        }).WithName("ListUsers").WithSummary("Users, searched by name, email or company (?q=), optionally on one site (?siteId=).");

        users.MapGet("/{id:int}", async Task<IResult> (int id, IEndUsers service, ITickets tickets, CancellationToken ct) =>
        {
            if (await service.GetAsync(id, ct) is not { } u)
            {
                return TypedResults.Problem(title: "Not found", detail: $"User {id} does not exist.", statusCode: 404);
            }

            var page = await tickets.QueryAsync(new TicketQuery(RequesterId: id, PageSize: 25), ct);
            return TypedResults.Ok(new UserDto(
                u.Id, u.Email, u.Name, u.FirstName, u.LastName, u.Phone, u.Mobile, u.JobTitle, u.Department, u.Company, u.Address, u.Notes,
                u.SiteId, u.SiteName, u.OutlookContactId, u.CreatedAt, u.UpdatedAt,
                [.. page.Items.Select(t => new UserTicketDto(t.Id, t.Number, t.Subject, t.Status, t.CreatedAt, t.UpdatedAt))],
                page.Total));
        }).Produces<UserDto>().WithName("GetUser");

        api.MapGet("/sites", async (ISites sites, CancellationToken ct) =>
        {
            var items = await sites.ListAsync(ct);
            return TypedResults.Ok(new ItemsPage<SiteView>(items, items.Count));
        }).RequireAuthorization(PortalPolicies.Agent).WithTags("Users").WithName("ListSites");

        api.MapPost("/mailboxes/{id:int}/contact-import", async Task<IResult> (int id, bool? wait, IContactImports imports, HaloPortal.Engine.Mailboxes.IMailboxes mailboxes,
            IBackgroundJobClient jobs, CancellationToken ct) =>
        {
            if (await mailboxes.GetAsync(id, ct) is null)
            {
                return TypedResults.Problem(title: "Not found", detail: $"Mailbox {id} does not exist.", statusCode: 404);
            }

            if (wait != true)
            {
                var job = jobs.Enqueue<ContactImportNowJob>(j => j.RunAsync(id, CancellationToken.None));
                return TypedResults.Accepted($"/api/v1/mailboxes/{id}", new JobStarted("started", job));
            }

            var r = await imports.ImportAsync(id, null, ContactImportTrigger.Manual, ct);
            return TypedResults.Ok(new ContactImportDto(
                r.RunId, r.Processed, r.Created, r.Updated, r.Unchanged, r.Skipped, r.Errors, MailboxesApi.ErrorDto.From(r.Error), r.NotRun));
        }).RequireAuthorization(PortalPolicies.Administrator).WithTags("Mailboxes").Produces<ContactImportDto>().Produces<JobStarted>(StatusCodes.Status202Accepted)
          .WithName("ImportContacts")
          .WithSummary("Import the mailbox's Outlook contacts as users; ?wait=true answers with the report, otherwise 202.");
    }

    internal sealed record UserTicketDto(int Id, int Number, string Subject, TicketStatus Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    /// <summary>A user with every field and the first page of their tickets (newest first).</summary>
    internal sealed record UserDto(
        int Id, string Email, string Name, string? FirstName, string? LastName, string? Phone, string? Mobile, string? JobTitle, string? Department,
        string? Company, string? Address, string? Notes, int SiteId, string SiteName, string? OutlookContactId, DateTimeOffset CreatedAt, DateTimeOffset? UpdatedAt,
        IReadOnlyList<UserTicketDto> Tickets, int TicketTotal);

    /// <summary>The report of a contact import run with <c>?wait=true</c>.</summary>
    internal sealed record ContactImportDto(
        long? RunId, int Processed, int Created, int Updated, int Unchanged, IReadOnlyList<SkippedContact> Skipped, IReadOnlyList<string> Errors,
        MailboxesApi.ErrorDto? Error, string? NotRun);
}

/// <summary>The answer to work queued as a background job: <c>{"status":"started","jobId":"..."}</c>.</summary>
internal sealed record JobStarted(string Status, string JobId);
