using System.Text.Json;
using AngleSharp.Dom;
using Bunit;
using HaloPortal.Engine.Audit;
using HaloPortal.Engine.Ingestion;
using HaloPortal.Engine.Mailboxes;
using HaloPortal.Engine.Tickets;
using HaloPortal.Engine.EndUsers;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace HaloPortal.Tests.Components.Ingestion;

/// <summary>
/// bUnit for the ingestion screens: the portal's test context (<see cref="PortalTestContext"/>) with a user in the given role.
/// Hangfire has in-memory storage and no server, so replays are queued but not run. The role decides through the portal's real
/// policies.
/// </summary>
public sealed class IngestionTestContext : PortalTestContext
{
    public IngestionTestContext(string role) =>
        SignIn("user@example.com", [role], new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, UserId));

    /// <summary>The signed-in user's id (the NameIdentifier claim).</summary>
    public const string UserId = "user-1";

    public static Actor Admin => Actor.User("admin@example.com");

    public async Task<int> MailboxAsync(string name = "Support") =>
        (await Services.GetRequiredService<IMailboxes>().CreateAsync(name, MailboxConnectionType.Office365Azure, Admin)).Id;

    /// <summary>Inserts an inbound email with its requests (each: outcome and log lines).</summary>
    internal async Task<InboundEmail> EmailAsync(int mailboxId, string subject, InboundStatus status, string? rule = null, string? reason = null,
        params (RequestKind Kind, RequestOutcome Outcome, LogLine[] Log)[] requests)
    {
        await using var db = await Contexts.CreateDbContextAsync();
        var email = new InboundEmail
        {
            MailboxId = mailboxId,
            DedupeKey = Guid.NewGuid().ToString("N") + "@example.com",
            Subject = subject,
            From = "someone@contoso.com",
            ReceivedAt = Now.AddMinutes(-5),
            Status = status,
            Stage = status is InboundStatus.Processed or InboundStatus.Ignored ? InboundStage.Done : InboundStage.Fetched,
            FoundBy = RequestKind.Scan,
            Rule = rule,
            Reason = reason,
            CreatedAt = Now.AddMinutes(-5),
            UpdatedAt = Now,
            RawMime = "Subject: x\r\n\r\nbody"u8.ToArray(),
        };
        db.Add(email);
        await db.SaveChangesAsync();
        foreach (var (kind, outcome, log) in requests)
        {
            db.Add(new InboundRequest
            {
                InboundEmailId = email.Id,
                MailboxId = mailboxId,
                Kind = kind,
                ReceivedAt = Now.AddMinutes(-4),
                CompletedAt = outcome == RequestOutcome.Pending ? null : Now.AddMinutes(-4),
                Outcome = outcome,
                RawContentType = "application/json",
                RawData = """{"id":"AAMk1","subject":"x"}"""u8.ToArray(),
                LogJson = JsonSerializer.Serialize(log, new JsonSerializerOptions(JsonSerializerDefaults.Web)),
            });
            await db.SaveChangesAsync();
        }

        return email;
    }

    internal async Task<Ticket> TicketAsync(int number, string subject, string requesterEmail, string requesterName)
    {
        await using var db = await Contexts.CreateDbContextAsync();
        var site = await db.Set<Site>().FirstOrDefaultAsync() ?? new Site { Name = "Head office", CreatedAt = Now };
        var requester = new EndUser { Email = requesterEmail, Name = requesterName, CreatedAt = Now };
        if (site.Id == 0)
        {
            db.Add(site);
            await db.SaveChangesAsync();
        }

        requester.SiteId = site.Id;
        var ticket = new Ticket { Number = number, Subject = subject, Requester = requester, CreatedAt = Now, UpdatedAt = Now.AddMinutes(number) };
        ticket.Messages.Add(new TicketMessage { From = requesterEmail, Subject = subject, SentAt = Now, BodyHtml = $"<p>{subject}</p>", CreatedAt = Now });
        db.Add(ticket);
        await db.SaveChangesAsync();
        return ticket;
    }
}

/// <summary>Queries by data-testid.</summary>
internal static class IngestionUi
{
    public static IElement ByTestId<T>(this IRenderedComponent<T> cut, string testId) where T : IComponent =>
        cut.Find($"[data-testid='{testId}']");

    public static IReadOnlyList<IElement> AllByTestId<T>(this IRenderedComponent<T> cut, string testId) where T : IComponent =>
        cut.FindAll($"[data-testid='{testId}']").ToList();
}
