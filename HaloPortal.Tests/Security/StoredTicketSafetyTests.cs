using System.Net;
using AngleSharp.Html.Parser;
using HaloPortal.Engine.Tickets;
using HaloPortal.Tests.Ingestion;
using Microsoft.EntityFrameworkCore;

namespace HaloPortal.Tests.Security;

/// <summary>
/// Email HTML through the real pipeline (sandbox mailbox, import, ticket) and tickets stored by older versions: the stored
/// row, the API answer and the ticket page must all be inert.
/// </summary>
public sealed class StoredTicketSafetyTests(SecurityPortalFactory app) : IClassFixture<SecurityPortalFactory>
{
    /// <summary>Exactly what the regex cid rewrite stored for the reported attack before this fix.</summary>
    private const string OldDangerousHtml =
        "<img src=\"x\" alt=\"src=\"/attachments/1\" onerror=alert(document.domain) \">" +
        "<div style=\"position: fixed; top: 0; left: 0; z-index: 99999\" class=\"mud-overlay\">Your session expired, sign in again</div>" +
        "<img src=\"https://tracker.example/open.gif\">";

    private async Task<IReadOnlyList<string>> PageBodiesAsync(int ticketId)
    {
        using var browser = await app.SignedInBrowserAsync();
        using var response = await browser.GetAsync($"/tickets/{ticketId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        var bodies = page.QuerySelectorAll("[data-testid=message-body]").Select(b => b.InnerHtml).ToList();
        Assert.NotEmpty(bodies);
        return bodies;
    }

    [Fact]
    public async Task The_reported_alt_breakout_mailed_in_is_inert_when_stored_in_the_api_and_on_the_page()
    {
        var id = SandboxMail.NewMessageId("evil.example");
        var ticket = await app.TicketFromAsync(AttackMail.WithInlineImage(AttackMail.AltBreakout + "<p>Invoice attached</p><img src=\"cid:foo\">", messageId: id), id);

        var message = Assert.Single(ticket.Messages);
        InertHtml.Assert(message.BodyHtml);
        InertHtml.Assert(message.FullBodyHtml);
        var logo = Assert.Single(message.Attachments);
        Assert.Contains($"src=\"/attachments/{logo.Id}\"", message.BodyHtml, StringComparison.Ordinal);
        Assert.All(await app.ApiBodiesAsync(ticket.Id), InertHtml.Assert);
        Assert.All(await PageBodiesAsync(ticket.Id), InertHtml.Assert);
    }

    [Fact]
    public async Task A_ticket_stored_with_the_old_dangerous_html_is_inert_in_the_api_and_on_the_page()
    {
        var id = SandboxMail.NewMessageId();
        var ticket = await app.TicketFromAsync(SandboxMail.Mime("old@customer.example", "support@contoso.sandbox", "Stored before the fix", "placeholder", id), id);
        var messageId = Assert.Single(ticket.Messages).Id;
        await app.QueryAsync(db => db.Set<TicketMessage>().Where(m => m.Id == messageId)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.BodyHtml, OldDangerousHtml).SetProperty(m => m.FullBodyHtml, OldDangerousHtml)));

        var api = Assert.Single(await app.ApiBodiesAsync(ticket.Id));
        var page = Assert.Single(await PageBodiesAsync(ticket.Id));

        InertHtml.Assert(api);
        InertHtml.Assert(page);
        Assert.Contains("Your session expired", page, StringComparison.Ordinal);
        Assert.Contains("data-remote-src=\"https://tracker.example/open.gif\"", api, StringComparison.Ordinal);
        var stored = await app.QueryAsync(db => db.Set<TicketMessage>().AsNoTracking().SingleAsync(m => m.Id == messageId));
        Assert.Equal(OldDangerousHtml, stored.BodyHtml);
    }

    [Fact]
    public async Task A_message_with_remote_images_shows_the_blocked_images_notice()
    {
        var id = SandboxMail.NewMessageId();
        var ticket = await app.TicketFromAsync(
            AttackMail.WithInlineImage("<p>Newsletter</p><img src=\"https://tracker.example/open.gif\" alt=\"pixel\">", from: "news@customer.example", messageId: id), id);

        using var browser = await app.SignedInBrowserAsync();
        var html = await browser.GetStringAsync($"/tickets/{ticket.Id}");

        var page = new HtmlParser().ParseDocument(html);
        Assert.NotNull(page.QuerySelector("[data-testid=remote-images-blocked]"));
        Assert.Null(page.QuerySelector("[data-testid=message-body] img[src^='https:']"));
    }
}
