using Bunit;
using HaloPortal.Components.Pages.Tickets;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Outbound;
using HaloPortal.Tests.Components.Ingestion;
using HaloPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Components.Tickets;

/// <summary>
/// Issue 14 item 3 in the composer: the From mailbox is always shown, a fallback to the default outgoing mailbox is warned about and
/// must be chosen (or cancelled), a sender that changed is shown instead of used, and a sent reply leaves an empty composer (item 8).
/// The real engine on SQLite; its background sender does not run here, so queued replies stay queued.
/// </summary>
public sealed class ReplyComposerTests
{
    private const string Requester = "ann@contoso.com";

    private static async Task<(IngestionTestContext Ctx, int TicketId, int Support, int Helpdesk)> ArrangeAsync(CredentialStatus support, bool withDefault = true)
    {
        var ctx = new IngestionTestContext("Agent");
        await ctx.Services.StartEngineAsync(); // the deployment id that replies' Message-IDs carry is read at start-up
        var supportId = await ctx.MailboxAsync("Support");
        var helpdeskId = await ctx.MailboxAsync("Helpdesk");
        await CredentialAsync(ctx, supportId, "support@contoso.com", support);
        await CredentialAsync(ctx, helpdeskId, "helpdesk@contoso.com", CredentialStatus.Connected);
        // (The engine's start-up made its sandbox demo mailbox the default: replaced either way.)
        await ctx.Services.GetRequiredService<IEmailSettings>().SetDefaultOutgoingMailboxAsync(withDefault ? helpdeskId : null, IngestionTestContext.Admin);

        var ticket = await ctx.TicketAsync(2001, "Printer offline", Requester, "Ann Lee");
        await using var db = await ctx.Contexts.CreateDbContextAsync();
        await db.Set<Engine.Tickets.Ticket>().Where(t => t.Id == ticket.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.MailboxId, supportId));
        return (ctx, ticket.Id, supportId, helpdeskId);
    }

    private static async Task CredentialAsync(IngestionTestContext ctx, int mailboxId, string address, CredentialStatus status)
    {
        await using var db = await ctx.Contexts.CreateDbContextAsync();
        db.Add(new MailboxCredential
        {
            MailboxId = mailboxId,
            Authority = GraphAuthority.Sandbox,
            ProcessingMethod = ProcessingMethod.MailboxScan,
            TenantId = "contoso.com",
            ClientId = Guid.NewGuid().ToString(),
            EmailAddress = address,
            CreatedAt = IngestionTestContext.Now,
        });
        await db.SaveChangesAsync();
        await SetStatusAsync(ctx, mailboxId, status);
    }

    private static async Task SetStatusAsync(IngestionTestContext ctx, int mailboxId, CredentialStatus status)
    {
        await using var db = await ctx.Contexts.CreateDbContextAsync();
        await db.Set<MailboxCredential>().Where(c => c.MailboxId == mailboxId).ExecuteUpdateAsync(s => s
            .SetProperty(c => c.Status, status)
            .SetProperty(c => c.ConnectedAt, IngestionTestContext.Now)
            .SetProperty(c => c.LastErrorMessage, status == CredentialStatus.Failing ? "Access to the mailbox was denied (403)." : null));
    }

    private static IRenderedComponent<ReplyComposer> Render(IngestionTestContext ctx, int ticketId) =>
        ctx.RenderWithProviders<ReplyComposer>(p => p.Add(c => c.TicketId, ticketId).Add(c => c.RequesterEmail, Requester));

    private static async Task<List<OutboundMessage>> QueuedAsync(IngestionTestContext ctx)
    {
        await using var db = await ctx.Contexts.CreateDbContextAsync();
        return await db.Set<OutboundMessage>().AsNoTracking().Where(m => m.Kind == OutboundKind.Reply).ToListAsync();
    }

    [Fact]
    public async Task The_from_line_names_the_tickets_mailbox_and_a_sent_reply_clears_text_and_attachments()
    {
        var (ctx, ticketId, support, _) = await ArrangeAsync(CredentialStatus.Connected);
        await using var owner = ctx;
        var composer = Render(ctx, ticketId);

        composer.WaitForAssertion(() => Assert.Equal("From: Support <support@contoso.com>", composer.ByTestId("reply-from").TextContent.Trim()));
        Assert.Empty(composer.FindAll("[data-testid='reply-fallback-warning']"));

        composer.ByTestId("reply-text").Input("The printer is back.");
        composer.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("1. Restart", "steps.txt"));
        composer.WaitForAssertion(() => Assert.Single(composer.AllByTestId("reply-file")));
        composer.ByTestId("reply-send").Click();

        composer.WaitForAssertion(() => Assert.Empty(composer.AllByTestId("reply-file")));
        var queued = Assert.Single(await QueuedAsync(ctx));
        Assert.Equal(support, queued.PreferredMailboxId);
        Assert.Equal("", composer.Find("[data-testid='reply-text']").GetAttribute("value") ?? "");
        await using var db = await ctx.Contexts.CreateDbContextAsync();
        Assert.Equal("steps.txt", (await db.Set<Engine.Tickets.TicketAttachment>().SingleAsync(a => a.TicketMessageId == queued.TicketMessageId)).Name);
    }

    [Fact]
    public async Task Attachments_over_150_MB_in_all_are_refused_on_the_composer_with_the_limit_and_the_others_are_kept()
    {
        var (ctx, ticketId, _, _) = await ArrangeAsync(CredentialStatus.Connected);
        await using var owner = ctx;
        var composer = Render(ctx, ticketId);
        composer.WaitForAssertion(() => Assert.Contains("150 MB", composer.ByTestId("reply-attach-limit").TextContent));

        composer.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(new byte[100 * 1024 * 1024], "video.mp4"));
        composer.WaitForAssertion(() => Assert.Single(composer.AllByTestId("reply-file")));
        composer.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(new byte[51 * 1024 * 1024], "backup.zip"));

        composer.WaitForAssertion(() => Assert.Contains("backup.zip (51.0 MB) would bring the attachments to 151.0 MB; a reply can carry at most 150 MB",
            composer.ByTestId("reply-attach-error").TextContent));
        Assert.Contains("video.mp4", Assert.Single(composer.AllByTestId("reply-file")).TextContent);
    }

    [Fact]
    public async Task A_fallback_is_warned_about_with_the_reason_and_both_mailboxes_and_sends_only_when_chosen()
    {
        var (ctx, ticketId, _, helpdesk) = await ArrangeAsync(CredentialStatus.Failing);
        await using var owner = ctx;
        var composer = Render(ctx, ticketId);

        composer.WaitForAssertion(() => Assert.Contains("From: Helpdesk <helpdesk@contoso.com> (the default outgoing mailbox)", composer.ByTestId("reply-from").TextContent));
        var warning = composer.ByTestId("reply-fallback-warning").TextContent;
        Assert.Contains("The ticket's mailbox Support <support@contoso.com> cannot send: its connection is failing (Access to the mailbox was denied (403))", warning);
        Assert.Contains("from the default outgoing mailbox Helpdesk <helpdesk@contoso.com> instead of Support <support@contoso.com>", warning);

        // Send asks first; Cancel sends nothing and keeps the draft.
        composer.ByTestId("reply-text").Input("Try the other printer.");
        composer.ByTestId("reply-send").Click();
        composer.WaitForAssertion(() => Assert.Contains("Send this reply from Helpdesk <helpdesk@contoso.com>?", composer.ByTestId("reply-fallback-question").TextContent));
        Assert.True(composer.ByTestId("reply-send").HasAttribute("disabled"));
        composer.ByTestId("reply-cancel-fallback").Click();
        composer.WaitForAssertion(() => Assert.Empty(composer.AllByTestId("reply-fallback-question")));
        Assert.Empty(await QueuedAsync(ctx));
        Assert.Equal("Try the other printer.", composer.Find("[data-testid='reply-text']").GetAttribute("value"));

        composer.ByTestId("reply-send").Click();
        composer.WaitForAssertion(() => Assert.Equal("Send from helpdesk@contoso.com", composer.ByTestId("reply-confirm-fallback").TextContent.Trim()));
        composer.ByTestId("reply-confirm-fallback").Click();

        composer.WaitForAssertion(() => Assert.Single(QueuedAsync(ctx).GetAwaiter().GetResult()));
        var queued = Assert.Single(await QueuedAsync(ctx));
        Assert.Equal(helpdesk, queued.PreferredMailboxId);
        var info = await ctx.Services.GetRequiredService<IReplies>().GetAsync(queued.Id);
        Assert.True(info!.Fallback);
    }

    [Fact]
    public async Task A_sender_that_changed_after_it_was_shown_is_shown_and_nothing_is_sent()
    {
        var (ctx, ticketId, support, _) = await ArrangeAsync(CredentialStatus.Connected);
        await using var owner = ctx;
        var composer = Render(ctx, ticketId);
        composer.WaitForAssertion(() => Assert.Equal("From: Support <support@contoso.com>", composer.ByTestId("reply-from").TextContent.Trim()));

        await SetStatusAsync(ctx, support, CredentialStatus.NeedsReauthorisation);
        composer.ByTestId("reply-text").Input("Restart it.");
        composer.ByTestId("reply-send").Click();

        composer.WaitForAssertion(() => Assert.Contains("The mailbox that sends this reply changed: it is now Helpdesk <helpdesk@contoso.com>. Nothing was sent",
            composer.ByTestId("reply-sender-error").TextContent));
        Assert.Contains("needs re-authorisation", composer.ByTestId("reply-fallback-warning").TextContent);
        Assert.Empty(await QueuedAsync(ctx));
    }

    [Fact]
    public async Task Without_any_mailbox_that_can_send_the_composer_says_why_and_cannot_send()
    {
        var (ctx, ticketId, _, _) = await ArrangeAsync(CredentialStatus.NotConnected, withDefault: false);
        await using var owner = ctx;
        var composer = Render(ctx, ticketId);

        composer.WaitForAssertion(() => Assert.Contains("No mailbox can send this reply.", composer.ByTestId("reply-no-sender").TextContent));
        Assert.Contains("No default outgoing mailbox is set", composer.ByTestId("reply-no-sender").TextContent);
        composer.ByTestId("reply-text").Input("Hello");
        Assert.True(composer.ByTestId("reply-send").HasAttribute("disabled"));
    }
}
