using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bunit;
using HaloPortal.Components.Pages.Configuration.Email;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Ingestion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Components.Forms;

namespace HaloPortal.Tests.Components.Email;

public sealed class GeneralSettingsAndTestTests
{
    [Fact]
    public async Task General_settings_saves_the_default_outgoing_mailbox_and_the_warning_goes()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync("Support");
        var page = ctx.RenderWithProviders<GeneralSettings>();
        page.WaitForElement("[data-testid='default-outgoing-mailbox']");
        Assert.Contains("No default outgoing mailbox is set", page.ByTestId("outgoing-defaults-banner").TextContent);
        Assert.False(page.Has("outgoing-defaults-link"));

        ctx.Choose(page, "default-outgoing-mailbox", "Support");
        page.ByTestId("save-email-settings").Click();

        page.WaitForAssertion(() => Assert.False(page.Has("outgoing-defaults-banner")));
        Assert.Equal(mailbox.Id, (await ctx.EmailSettings.GetAsync()).DefaultOutgoingMailboxId);
    }

    [Fact]
    public async Task General_settings_turns_one_ticket_across_mailboxes_off_and_on_and_says_what_each_means()
    {
        await using var ctx = new EmailTestContext();
        var settings = ctx.Services.GetRequiredService<IIngestionSettings>();
        var page = ctx.RenderWithProviders<GeneralSettings>();
        page.WaitForElement("[data-testid='one-ticket-across-mailboxes']");
        Assert.Contains("makes one ticket", page.ByTestId("one-ticket-help").TextContent);

        page.ByTestId("one-ticket-across-mailboxes").Change(false);

        page.WaitForAssertion(() => Assert.Contains("opens its own ticket", page.ByTestId("one-ticket-help").TextContent));
        Assert.False((await settings.GetAsync()).OneTicketAcrossMailboxes);

        page.ByTestId("one-ticket-across-mailboxes").Change(true);

        page.WaitForAssertion(() => Assert.Contains("makes one ticket", page.ByTestId("one-ticket-help").TextContent));
        Assert.True((await settings.GetAsync()).OneTicketAcrossMailboxes);
    }

    [Fact]
    public async Task Deleting_the_default_outgoing_mailbox_raises_the_banner_on_the_mailbox_list()
    {
        await using var ctx = new EmailTestContext();
        var old = await ctx.CreateMailboxAsync("Old support");
        await ctx.CreateMailboxAsync("New support");
        await ctx.EmailSettings.SetDefaultOutgoingMailboxAsync(old.Id, EmailTestContext.Admin);
        var list = ctx.RenderWithProviders<MailboxList>();
        list.WaitForElement("[data-testid='mailbox-row']");
        Assert.False(list.Has("outgoing-defaults-banner"));

        await ctx.Mailboxes.DeleteAsync(old.Id, EmailTestContext.Admin);

        list.WaitForAssertion(() => Assert.Contains("'Old support' was deleted", list.ByTestId("outgoing-defaults-banner").TextContent));
        Assert.Equal("/configuration/email/general-settings", list.ByTestId("outgoing-defaults-link").GetAttribute("href"));
        Assert.Single(list.FindAll("[data-testid='mailbox-row']"));
    }

    [Fact]
    public async Task Test_connection_shows_the_steps_and_the_catalogued_error_with_its_fix()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        await ctx.CreateCredentialAsync(mailbox.Id, i => i.Authority = GraphAuthority.Sandbox);
        var page = ctx.RenderMailboxPage(mailbox.Id, "?tab=credentials");
        page.WaitForElement("[data-testid='test-connection']").Click();

        // The sandbox is pointed at a closed loopback port (EmailTestContext), so the real MSAL call fails fast
        // and the screen shows what the engine reports.
        var result = page.WaitForElement("[data-testid='test-result']", TimeSpan.FromSeconds(60));
        Assert.Equal("false", result.GetAttribute("data-ok"));
        Assert.Equal("ServiceUnavailable", page.Find("[data-testid='test-result'] [data-testid='known-error']").GetAttribute("data-code"));
        Assert.Contains("How to fix:", page.Find("[data-testid='test-result'] [data-testid='known-error-fix']").TextContent);
        Assert.Contains("Failed: Microsoft Graph unavailable.", page.ByTestId("test-steps").TextContent);
        Assert.False(page.Has("test-running"));
    }

    [Fact]
    public async Task An_uploaded_certificate_is_read_at_once_and_saved_with_its_thumbprint()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        var page = ctx.RenderWithProviders<CredentialEditor>(p => p.Add(c => c.MailboxId, mailbox.Id));
        page.WaitForElement("[data-testid='credential-type-certificate']").Click();

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=HaloPortal test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(EmailTestContext.Now.AddDays(-1), EmailTestContext.Now.AddYears(1));
        var pfx = certificate.Export(X509ContentType.Pkcs12, "pw-123");

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(pfx, "mailbox.pfx"));
        page.WaitForElement("[data-testid='certificate-error']"); // wrong (no) password
        page.ByTestId("certificate-password").Change("pw-123");
        page.WaitForAssertion(() => Assert.Contains(certificate.Thumbprint, page.ByTestId("certificate-preview").TextContent));

        page.ByTestId("tenant-id").Input("8f2c6a1e-4b3d-4c5e-9f70-1a2b3c4d5e6f");
        page.ByTestId("client-id").Input("2f6a5c1e-8d4b-4b8f-9a57-3c1d2e4f5a6b");
        page.ByTestId("email-address").Input("support@contoso.com");
        page.ByTestId("save-credential").Click();

        page.WaitForAssertion(() => Assert.Single(ctx.Mailboxes.GetAsync(mailbox.Id).Result!.Credentials));
        var saved = (await ctx.Mailboxes.GetAsync(mailbox.Id))!.Credentials[0];
        Assert.Equal(certificate.Thumbprint, saved.CertificateThumbprint);
        Assert.Equal("CN=HaloPortal test", saved.CertificateSubject);
    }
}
