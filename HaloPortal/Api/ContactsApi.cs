using Hangfire;
using HaloPortal.Engine.Contacts;
using HaloPortal.Engine.Portal;
using HaloPortal.Engine.Users;

namespace HaloPortal.Api;

/// <summary>Users, sites and contact imports.</summary>
internal static class ContactsApi
{
    public static void MapContactsApi(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").RequireAuthorization(PortalPolicies.Agent).WithTags("Users");
        users.MapGet("", async (string? q, int? siteId, int? page, int? pageSize, IUsers service, CancellationToken ct) =>
        {
            var result = await service.QueryAsync(new UserQuery(q, siteId, page ?? 1, pageSize ?? 25), ct);
            return TypedResults.Ok(new
            {
                items = result.Items.Select(u => new { u.Id, u.Email, u.Name, u.Company, u.JobTitle, u.SiteId, u.SiteName, u.Imported, u.CreatedAt }),
                total = result.Total,
            });
        }).WithName("ListUsers").WithSummary("Users, searched by name, email or company (?q=), optionally on one site (?siteId=).");

        users.MapGet("/{id:int}", async Task<IResult> (int id, IUsers service, CancellationToken ct) =>
            await service.GetAsync(id, 1, ct) is { } u
                ? TypedResults.Ok(new
                {
                    u.Id, u.Email, u.Name, u.FirstName, u.LastName, u.Phone, u.Mobile, u.JobTitle, u.Department, u.Company, u.Address, u.Notes,
                    u.SiteId, u.SiteName, u.OutlookContactId, u.CreatedAt, u.UpdatedAt,
                    tickets = u.Tickets.Items.Select(t => new { t.Id, t.Number, t.Subject, t.Status, t.CreatedAt, t.UpdatedAt }),
                    ticketTotal = u.Tickets.Total,
                })
                : TypedResults.Problem(title: "Not found", detail: $"User {id} does not exist.", statusCode: 404))
            .WithName("GetUser");

        api.MapGet("/sites", async (ISites sites, CancellationToken ct) =>
        {
            var items = await sites.ListAsync(ct);
            return TypedResults.Ok(new { items, total = items.Count });
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
                return TypedResults.Accepted($"/api/v1/mailboxes/{id}", new { status = "started", jobId = job });
            }

            var r = await imports.ImportAsync(id, null, ContactImportTrigger.Manual, ct);
            return TypedResults.Ok(new
            {
                r.RunId, r.Processed, r.Created, r.Updated, r.Unchanged,
                skipped = r.Skipped,
                r.Errors,
                error = r.Error is null ? null : new { r.Error.Code, r.Error.Title, r.Error.Message, r.Error.Fix },
                notRun = r.NotRun,
            });
        }).RequireAuthorization(PortalPolicies.Administrator).WithTags("Mailboxes").WithName("ImportContacts")
          .WithSummary("Import the mailbox's Outlook contacts as users; ?wait=true answers with the report, otherwise 202.");
    }
}
