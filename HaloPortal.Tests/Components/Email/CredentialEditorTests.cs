using Bunit;
using HaloPortal.Components.Pages.Configuration.Email;
using HaloPortal.Engine.Credentials;
using HaloPortal.Engine.Portal;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace HaloPortal.Tests.Components.Email;

public sealed class CredentialEditorTests
{
    private static async Task<(EmailTestContext Ctx, IRenderedComponent<CredentialEditor> Page, int MailboxId)> NewEditorAsync(PortalHosting hosting = PortalHosting.Cloud)
    {
        var ctx = new EmailTestContext(hosting);
        var mailbox = await ctx.CreateMailboxAsync();
        var page = ctx.RenderWithProviders<CredentialEditor>(p => p.Add(c => c.MailboxId, mailbox.Id));
        page.WaitForElement("[data-testid='tenant-id']");
        return (ctx, page, mailbox.Id);
    }

    [Theory]
    [InlineData(AuthMethod.ClientCredentials, CredentialType.ClientSecret, ProcessingMethod.Webhooks)]
    [InlineData(AuthMethod.ClientCredentials, CredentialType.ClientSecret, ProcessingMethod.MailboxScan)]
    [InlineData(AuthMethod.ClientCredentials, CredentialType.Certificate, ProcessingMethod.Webhooks)]
    [InlineData(AuthMethod.ClientCredentials, CredentialType.Certificate, ProcessingMethod.MailboxScan)]
    [InlineData(AuthMethod.ClientCredentials, CredentialType.FederatedCredential, ProcessingMethod.Webhooks)]
    [InlineData(AuthMethod.ClientCredentials, CredentialType.FederatedCredential, ProcessingMethod.MailboxScan)]
    [InlineData(AuthMethod.AuthorizationCode, CredentialType.ClientSecret, ProcessingMethod.Webhooks)]
    [InlineData(AuthMethod.AuthorizationCode, CredentialType.ClientSecret, ProcessingMethod.MailboxScan)]
    [InlineData(AuthMethod.AuthorizationCode, CredentialType.Certificate, ProcessingMethod.Webhooks)]
    [InlineData(AuthMethod.AuthorizationCode, CredentialType.Certificate, ProcessingMethod.MailboxScan)]
    public async Task Each_combination_shows_its_fields_and_permissions_on_premises(AuthMethod method, CredentialType type, ProcessingMethod processing)
    {
        var (ctx, page, _) = await NewEditorAsync(PortalHosting.OnPremises);
        await using var _ = ctx;

        page.ByTestId(method == AuthMethod.AuthorizationCode ? "auth-method-authorization-code" : "auth-method-client-credentials").Click();
        page.ByTestId("credential-type-" + Kebab(type)).Click();
        var processingRadio = page.ByTestId(processing == ProcessingMethod.Webhooks ? "processing-webhooks" : "processing-mailbox-scan");
        if (!processingRadio.IsDisabled())
        {
            processingRadio.Click();
        }

        var delegated = method == AuthMethod.AuthorizationCode;
        Assert.Equal(type == CredentialType.ClientSecret, page.Has("client-secret"));
        Assert.Equal(type == CredentialType.ClientSecret, page.Has("secret-expiry"));
        Assert.Equal(type == CredentialType.Certificate, page.Has("certificate-upload"));
        Assert.Equal(type == CredentialType.Certificate, page.Has("certificate-password"));
        Assert.Equal(type == CredentialType.FederatedCredential, page.Has("federated-token-file"));
        Assert.Equal(!delegated, page.Has("credential-type-federated-credential"));
        Assert.Equal(delegated, page.Has("shared-mailbox"));
        Assert.Equal(!delegated, page.Has("email-address"));
        Assert.Equal(!delegated, page.Has("uses-rbac"));
        Assert.True(page.Has("import-contacts"));
        Assert.True(page.Has("tenant-id") && page.Has("client-id") && page.Has("authority") && page.Has("instance"));

        // Authorisation code is always Mailbox scan, with the reason shown; client credentials keep the choice.
        var expectedProcessing = delegated ? ProcessingMethod.MailboxScan : processing;
        Assert.True(page.ByTestId(expectedProcessing == ProcessingMethod.Webhooks ? "processing-webhooks" : "processing-mailbox-scan").HasAttribute("checked"));
        Assert.Equal(delegated, page.ByTestId("processing-webhooks").IsDisabled());
        Assert.Equal(delegated, page.Has("processing-forced"));

        Assert.Equal(delegated ? "Delegated" : "Application", page.ByTestId("required-permissions").GetAttribute("data-kind"));
        Assert.Equal(delegated ? ["Mail.ReadWrite", "Mail.Send", "offline_access"] : ["Mail.ReadWrite", "Mail.Send"], page.Permissions());
        Assert.Equal(!delegated, page.Has("rbac-advice"));
        Assert.Equal("https://helpdesk.example.com/authcallback", page.ByTestId("redirect-uri").TextContent);
        Assert.Equal("https://helpdesk.example.com/azure/auth", page.ByTestId("legacy-redirect-uri").TextContent);
    }

    [Fact]
    public async Task Authorisation_code_with_shared_mailbox_and_contacts_needs_the_shared_delegated_permissions()
    {
        var (ctx, page, _) = await NewEditorAsync();
        await using var _ = ctx;

        page.ByTestId("auth-method-authorization-code").Click();
        page.ByTestId("shared-mailbox").Input("helpdesk@contoso.com");
        page.ByTestId("import-contacts").Change(true);

        Assert.Equal(
            ["Mail.ReadWrite", "Mail.Send", "offline_access", "Contacts.Read", "Mail.ReadWrite.Shared", "Mail.Send.Shared", "Contacts.Read.Shared"],
            page.Permissions());
        Assert.Contains("Full Access", page.ByTestId("permissions-note").TextContent);
    }

    [Fact]
    public async Task Client_credentials_granted_by_RBAC_need_no_Graph_permission()
    {
        var (ctx, page, _) = await NewEditorAsync();
        await using var _ = ctx;

        page.ByTestId("import-contacts").Change(true);
        Assert.Equal(["Mail.ReadWrite", "Mail.Send", "Contacts.Read"], page.Permissions());

        page.ByTestId("uses-rbac").Change(true);
        Assert.Empty(page.Permissions());
        Assert.True(page.Has("no-permissions"));
        Assert.Contains("RBAC for Applications", page.ByTestId("permissions-note").TextContent);
    }

    [Fact]
    public async Task Federated_credential_is_not_offered_in_the_cloud()
    {
        var (ctx, page, _) = await NewEditorAsync(PortalHosting.Cloud);
        await using var _ = ctx;

        Assert.False(page.Has("credential-type-federated-credential"));
        Assert.True(page.Has("federated-note"));
    }

    [Fact]
    public async Task Switching_to_authorisation_code_drops_a_federated_choice_back_to_client_secret()
    {
        var (ctx, page, _) = await NewEditorAsync(PortalHosting.OnPremises);
        await using var _ = ctx;

        page.ByTestId("credential-type-federated-credential").Click();
        Assert.True(page.Has("federated-token-file"));

        page.ByTestId("auth-method-authorization-code").Click();
        Assert.False(page.Has("credential-type-federated-credential"));
        Assert.True(page.ByTestId("credential-type-client-secret").HasAttribute("checked"));
        Assert.True(page.Has("client-secret"));
    }

    [Fact]
    public async Task A_secret_ID_pasted_as_the_secret_is_refused_at_once()
    {
        var (ctx, page, _) = await NewEditorAsync();
        await using var _ = ctx;

        page.ByTestId("client-secret").Input("3f2504e0-4f89-11d3-9a0c-0305e82c3301");

        Assert.True(page.HasFieldError("client-secret"));
        Assert.Contains(CredentialRules.SecretIdMessage, page.FieldMessages());
        Assert.False(page.HasFieldError("tenant-id")); // untouched fields stay quiet until a save is attempted
    }

    [Fact]
    public async Task Saving_an_empty_form_shows_the_engine_errors_on_their_fields_and_saves_nothing()
    {
        var (ctx, page, mailboxId) = await NewEditorAsync();
        await using var _ = ctx;

        page.ByTestId("save-credential").Click();

        page.WaitForAssertion(() => Assert.True(page.HasFieldError("tenant-id")));
        Assert.True(page.HasFieldError("client-id"));
        Assert.True(page.HasFieldError("client-secret"));
        Assert.True(page.HasFieldError("email-address"));
        Assert.Contains("Directory (tenant) ID", page.FieldMessages());
        Assert.Empty((await ctx.Mailboxes.GetAsync(mailboxId))!.Credentials);
    }

    [Fact]
    public async Task Saving_valid_client_credentials_creates_them_and_returns_to_the_credentials_tab()
    {
        var (ctx, page, mailboxId) = await NewEditorAsync();
        await using var _ = ctx;

        page.ByTestId("tenant-id").Input("8f2c6a1e-4b3d-4c5e-9f70-1a2b3c4d5e6f");
        page.ByTestId("client-id").Input("2f6a5c1e-8d4b-4b8f-9a57-3c1d2e4f5a6b");
        page.ByTestId("client-secret").Input("Ab1~cdefghijklmnopqrstuvwxyz0123456789AB");
        page.ByTestId("email-address").Input("support@contoso.com");
        page.ByTestId("save-credential").Click();

        var navigation = ctx.Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.Contains($"/configuration/email/mailboxes/{mailboxId}?tab=credentials&credential=", navigation.Uri));
        var saved = Assert.Single((await ctx.Mailboxes.GetAsync(mailboxId))!.Credentials);
        Assert.Equal(AuthMethod.ClientCredentials, saved.AuthMethod);
        Assert.Equal(ProcessingMethod.Webhooks, saved.ProcessingMethod);
        Assert.Equal("support@contoso.com", saved.EmailAddress);
        Assert.True(saved.HasClientSecret);
        Assert.Equal(PortalInstance.Production, saved.Instance);
    }

    [Fact]
    public async Task Editing_never_shows_the_saved_secret_and_blank_keeps_it()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        var credential = await ctx.CreateCredentialAsync(mailbox.Id);
        var page = ctx.RenderWithProviders<CredentialEditor>(p => p.Add(c => c.CredentialId, credential.Id));
        page.WaitForElement("[data-testid='client-secret']");

        Assert.Equal("", page.ByTestId("client-secret").GetAttribute("value") ?? "");
        Assert.Contains("Leave blank to keep the saved secret", page.FieldMessages());
        Assert.Equal("support@contoso.com", page.ByTestId("email-address").GetAttribute("value"));

        page.ByTestId("email-address").Input("helpdesk@contoso.com");
        page.ByTestId("save-credential").Click();

        page.WaitForAssertion(() => Assert.Contains("?tab=credentials", ctx.Services.GetRequiredService<NavigationManager>().Uri));
        var saved = (await ctx.Credentials.GetAsync(credential.Id))!;
        Assert.Equal("helpdesk@contoso.com", saved.EmailAddress);
        Assert.True(saved.HasClientSecret);
    }

    [Fact]
    public async Task The_editor_warns_of_a_secret_expiring_within_30_days()
    {
        await using var ctx = new EmailTestContext();
        var mailbox = await ctx.CreateMailboxAsync();
        var credential = await ctx.CreateCredentialAsync(mailbox.Id, i => i.SecretExpiresAt = EmailTestContext.Now.AddDays(10));
        var page = ctx.RenderWithProviders<CredentialEditor>(p => p.Add(c => c.CredentialId, credential.Id));

        var warning = page.WaitForElement("[data-testid='credential-warning']");
        Assert.Contains("The client secret expires on 2026-03-20 (10 days)", warning.TextContent);
        Assert.Equal("2026-03-20", page.ByTestId("secret-expiry").GetAttribute("value"));
    }

    [Fact]
    public async Task A_signed_in_credential_renders_every_field_disabled_until_disconnected()
    {
        await using var ctx = new EmailTestContext(PortalHosting.OnPremises);
        var mailbox = await ctx.CreateMailboxAsync();
        var credential = await ctx.CreateCredentialAsync(mailbox.Id, i =>
        {
            i.AuthMethod = AuthMethod.AuthorizationCode;
            i.SharedMailbox = "helpdesk@contoso.com";
        });
        await ctx.MarkSignedInAsync(credential.Id, "helpdesk@contoso.com");
        var page = ctx.RenderWithProviders<CredentialEditor>(p => p.Add(c => c.CredentialId, credential.Id));
        page.WaitForElement("[data-testid='locked-alert']");

        string[] fields =
        [
            "tenant-id", "client-id", "client-secret", "secret-expiry", "shared-mailbox", "import-contacts",
            "auth-method-client-credentials", "auth-method-authorization-code", "credential-type-client-secret", "credential-type-certificate",
            "processing-mailbox-scan", "processing-webhooks", "save-credential",
        ];
        Assert.All(fields, f => Assert.True(page.ByTestId(f).IsDisabled(), f + " should be disabled"));
        Assert.Equal("true", page.ByTestId("instance").GetAttribute("aria-disabled"));
        Assert.Equal("true", page.ByTestId("authority").GetAttribute("aria-disabled"));
        Assert.False(page.Has("form-errors"));

        page.ByTestId("disconnect").Click();
        ctx.Dialogs.WaitForElement("[data-testid='confirm-ok']").Click();

        page.WaitForAssertion(() => Assert.False(page.Has("locked-alert")));
        Assert.False(page.ByTestId("tenant-id").IsDisabled());
        Assert.False(page.ByTestId("save-credential").IsDisabled());
        Assert.Equal(CredentialStatus.NotConnected, (await ctx.Credentials.GetAsync(credential.Id))!.Status);
    }

    private static string Kebab(CredentialType type) => type switch
    {
        CredentialType.ClientSecret => "client-secret",
        CredentialType.Certificate => "certificate",
        _ => "federated-credential",
    };
}
